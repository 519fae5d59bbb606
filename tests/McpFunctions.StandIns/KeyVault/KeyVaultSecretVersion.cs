namespace McpFunctions.StandIns.KeyVault;

/// <summary>What the Key Vault stand-in holds for one secret version, without its value.</summary>
public sealed record KeyVaultSecretVersion(
    string Name,
    string Version,
    bool Enabled,
    string? ContentType,
    DateTimeOffset CreatedOn,
    DateTimeOffset UpdatedOn);
