namespace McpFunctions.Core.Keys;

/// <summary>Port: what an operator sees of the key ring and may do to it. A Key Vault ring can add and reload
/// versions; a local ring can only describe itself (its keys change with its settings and a restart).</summary>
public interface IKeyRotation
{
    /// <summary>The versions this process holds and which one wraps new data keys (no I/O once loaded).</summary>
    ValueTask<KeyRingState> DescribeAsync(CancellationToken cancellationToken);

    /// <summary>Adds a new random version, current here at once and in other instances within
    /// <see cref="KeyRingState.PropagationDelay"/>; returns its key id.</summary>
    /// <exception cref="Errors.McpFunctionsException">KEY_ROTATION_UNSUPPORTED when this ring cannot add versions,
    /// SERVICE_UNAVAILABLE when the key store is unreachable; the keys in use are unchanged either way.</exception>
    Task<string> AddVersionAsync(CancellationToken cancellationToken);

    /// <summary>Re-reads the versions now, to pick up one added or disabled elsewhere (e.g. in the Azure portal).</summary>
    /// <exception cref="Errors.McpFunctionsException">As for <see cref="AddVersionAsync"/>.</exception>
    Task ReloadAsync(CancellationToken cancellationToken);
}
