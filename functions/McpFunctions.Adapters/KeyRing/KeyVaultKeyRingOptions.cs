using System.ComponentModel.DataAnnotations;

namespace McpFunctions.Adapters.KeyRing;

/// <summary>Settings of section <c>KEY_VAULT</c> (environment <c>KEY_VAULT__vaultUri</c>, <c>KEY_VAULT__secretName</c>, ...):
/// the Key Vault secret whose versions are the key-encryption keys.</summary>
/// <remarks>The app authenticates with Entra ID (DefaultAzureCredential, user-assigned identity from
/// <see cref="ClientId"/> or AZURE_CLIENT_ID); it needs "Key Vault Secrets User" on the secret, and whoever
/// rotates (<see cref="KeyVaultKeyRing.AddVersionAsync"/>) needs "Key Vault Secrets Officer".</remarks>
public sealed class KeyVaultKeyRingOptions
{
    public const string Section = "KEY_VAULT";

    /// <summary>The vault, e.g. <c>https://myvault.vault.azure.net/</c>.</summary>
    [Required]
    public Uri? VaultUri { get; set; }

    [Required]
    [RegularExpression("^[0-9a-zA-Z-]{1,127}$", ErrorMessage = "KEY_VAULT__secretName must be 1-127 letters, digits or dashes.")]
    public string SecretName { get; set; } = "mcp-kek";

    /// <summary>Client id of the user-assigned managed identity; falls back to AZURE_CLIENT_ID.</summary>
    public string? ClientId { get; set; }

    /// <summary>How often the cached key versions are re-read, to pick up versions added or disabled elsewhere.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan RefreshInterval { get; set; } = KeyVaultKeyRing.DefaultRefreshInterval;
}
