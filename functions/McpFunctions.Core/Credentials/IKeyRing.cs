namespace McpFunctions.Core.Credentials;

/// <summary>Port: the key-encryption keys. New writes use the current key; reads find any loaded version.</summary>
public interface IKeyRing
{
    ValueTask<KeyEncryptionKey> GetCurrentAsync(CancellationToken cancellationToken);

    /// <summary>Finds a key version by id; null when this ring does not hold it.</summary>
    ValueTask<KeyEncryptionKey?> FindAsync(string keyId, CancellationToken cancellationToken);

    Task CheckHealthAsync(CancellationToken cancellationToken);
}
