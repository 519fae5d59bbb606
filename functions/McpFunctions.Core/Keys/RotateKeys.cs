using McpFunctions.Core.Connections;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.Keys;

/// <summary>Use case: an operator adds a key version or makes this instance reload the versions (audited in the log).</summary>
public sealed class RotateKeys(IKeyRotation rotation, ILogger<RotateKeys> logger)
{
    /// <summary>Adds a new version, which seals new credentials from now on; returns its key id.</summary>
    public async Task<string> AddVersionAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var keyId = await rotation.AddVersionAsync(cancellationToken);
        logger.LogInformation("Key rotation: {UserId} of tenant {TenantId} added key version {KeyId}", caller.UserId, caller.TenantId, keyId);
        return keyId;
    }

    /// <summary>Re-reads the versions, e.g. after one was added or disabled in the portal.</summary>
    public async Task ReloadAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        await rotation.ReloadAsync(cancellationToken);
        var state = await rotation.DescribeAsync(cancellationToken);
        logger.LogInformation(
            "Key rotation: {UserId} of tenant {TenantId} reloaded the key ring; {KeyCount} versions held, current {KeyId}",
            caller.UserId, caller.TenantId, state.KeyIds.Count, state.CurrentKeyId);
    }
}
