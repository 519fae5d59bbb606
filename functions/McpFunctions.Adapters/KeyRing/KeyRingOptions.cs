using McpFunctions.Core.Configuration;

namespace McpFunctions.Adapters.KeyRing;

/// <summary>Setting <c>KeyRing:Source</c> (environment <c>KeyRing__Source</c>): where the key-encryption keys live.</summary>
/// <remarks><c>KeyVault</c> (<see cref="KeyVaultKeyRingOptions"/>) in Azure; <c>Local</c> reads <c>MCP_ENCRYPTION_KEY</c>, for
/// development and machines without a vault.</remarks>
public sealed class KeyRingOptions : IValidatedOptions
{
    public const string Section = "KeyRing";

    public string Source { get; set; } = "Local";

    public bool UsesKeyVault => Source.Equals("KeyVault", StringComparison.OrdinalIgnoreCase);

    public IReadOnlyList<string> Problems() =>
        UsesKeyVault || Source.Equals("Local", StringComparison.OrdinalIgnoreCase) ? [] : ["KeyRing:Source must be KeyVault or Local."];
}
