using System.Text.RegularExpressions;
using McpFunctions.Core.Configuration;
using McpFunctions.Core.Security;

namespace McpFunctions.Adapters.KeyRing;

/// <summary>Settings of section <c>KEY_VAULT</c> (environment <c>KEY_VAULT__vaultUri</c>, <c>KEY_VAULT__secretName</c>, ...):
/// the Key Vault secret whose versions are the key-encryption keys.</summary>
/// <remarks>The app authenticates with Entra ID (DefaultAzureCredential, user-assigned identity from
/// <see cref="ClientId"/> or AZURE_CLIENT_ID); it needs "Key Vault Secrets User" on the secret, and whoever
/// rotates (<see cref="KeyVaultKeyRing.AddVersionAsync"/>) needs "Key Vault Secrets Officer".</remarks>
public sealed partial class KeyVaultKeyRingOptions : IValidatedOptions
{
    public const string Section = "KEY_VAULT";

    /// <summary>The vault, e.g. <c>https://myvault.vault.azure.net/</c>.</summary>
    public Uri? VaultUri { get; set; }

    public string SecretName { get; set; } = "mcp-kek";

    /// <summary>Client id of the user-assigned managed identity; falls back to AZURE_CLIENT_ID.</summary>
    public string? ClientId { get; set; }

    /// <summary>How often the cached key versions are re-read, to pick up versions added or disabled elsewhere.</summary>
    public TimeSpan RefreshInterval { get; set; } = KeyVaultKeyRing.DefaultRefreshInterval;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (VaultUri is null)
        {
            problems.Add($"{Section}__vaultUri is required when KeyRing:Source is KeyVault.");
        }
        else if (!SecureUrl.IsAllowed(VaultUri))
        {
            problems.Add($"{Section}__vaultUri must be an absolute https URL (http only on loopback).");
        }

        if (!SecretNamePattern().IsMatch(SecretName ?? ""))
        {
            problems.Add($"{Section}__secretName must be 1-127 letters, digits or dashes.");
        }

        if (RefreshInterval < TimeSpan.FromSeconds(10) || RefreshInterval > TimeSpan.FromDays(1))
        {
            problems.Add($"{Section}__refreshInterval must be from 00:00:10 to 1.00:00:00.");
        }

        return problems;
    }

    [GeneratedRegex("^[0-9a-zA-Z-]{1,127}$")]
    private static partial Regex SecretNamePattern();
}
