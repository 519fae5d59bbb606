namespace McpFunctions.Adapters.Identity;

/// <summary>Which user-assigned managed identity an Azure SDK client authenticates as.</summary>
/// <remarks>An empty setting counts as unset: <c>local.settings.json</c> (copied from the sample, which lists every
/// setting) turns each of its values into an environment variable, so "" is what an unset identity looks like there,
/// and handing "" to <c>DefaultAzureCredential</c> would ask for an identity with no id.</remarks>
public static class ManagedIdentityClientId
{
    /// <summary>The setting every Azure SDK client falls back to; the Bicep sets it to the app's identity.</summary>
    public const string FallbackSetting = "AZURE_CLIENT_ID";

    /// <summary><paramref name="configured"/> (e.g. <c>COSMOS__clientId</c>), else <c>AZURE_CLIENT_ID</c>, else null (no user-assigned identity).</summary>
    public static string? Resolve(string? configured) =>
        NullIfEmpty(configured) ?? NullIfEmpty(Environment.GetEnvironmentVariable(FallbackSetting));

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
