namespace McpFunctions.Core.Credentials;

/// <summary>One version of the key-encryption key: an id and 32 bytes of key material.</summary>
public sealed class KeyEncryptionKey
{
    public const int SizeInBytes = 32;

    public KeyEncryptionKey(string id, byte[] material)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(material);
        if (material.Length != SizeInBytes)
        {
            throw new ArgumentException($"A key-encryption key must be {SizeInBytes} bytes.", nameof(material));
        }

        Id = id;
        Material = material;
    }

    public string Id { get; }

    public byte[] Material { get; }

    public override string ToString() => $"KeyEncryptionKey {{ Id = {Id} }}";
}
