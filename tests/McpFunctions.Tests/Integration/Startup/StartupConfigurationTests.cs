using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using McpFunctions.LocalHost;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary>Bad configuration stops startup with a message naming the setting (no servers needed).</summary>
public sealed class StartupConfigurationTests
{
    private static Dictionary<string, string?> ValidSettings() => StartupSettings.Valid();

    [Theory]
    [InlineData("MCP_ENCRYPTION_KEY", null, "MCP_ENCRYPTION_KEY is required outside Development")]
    [InlineData("MCP_ENCRYPTION_KEY", "c2hvcnQ=", "MCP_ENCRYPTION_KEY")]
    [InlineData("Auth:SigningKey", "too-short", "Auth:SigningKey must be at least 32 bytes")]
    [InlineData("Auth:Audience", null, "Auth:Audience is required")]
    [InlineData("COSMOS:accountEndpoint", null, "COSMOS__accountEndpoint is required")]
    [InlineData("Providers:notion:BaseUrl", "ftp://example.com", "Providers:notion:BaseUrl")]
    [InlineData("Providers:notion:TimeoutSeconds", "0", "Providers:notion:TimeoutSeconds")]
    [InlineData("Providers:notion:MaxResponseBytes", "512", "Providers:notion:MaxResponseBytes must be 1024..67108864")]
    [InlineData("Providers:notion:MaxResponseBytes", "4MB", "Providers:notion:MaxResponseBytes must be 1024..67108864")]
    [InlineData("KeyRing:Source", "KeyVault", "KEY_VAULT__vaultUri is required")]
    [InlineData("KeyRing:Source", "Hsm", "KeyRing:Source must be KeyVault or Local")]
    public void Production_BadSetting_FailsNamingIt(string setting, string? value, string expected)
    {
        var settings = ValidSettings();
        settings[setting] = value;

        var error = Assert.Throws<InvalidOperationException>(() => Create("Production", settings));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        if (value is { Length: > 3 } && setting is "MCP_ENCRYPTION_KEY" or "Auth:SigningKey")
        {
            // A secret's value must never be echoed, even a wrong one.
            Assert.DoesNotContain(value, error.Message.Replace(setting, "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Development_WithoutEncryptionKey_StartsWithAGeneratedKey()
    {
        var settings = ValidSettings();
        settings["MCP_ENCRYPTION_KEY"] = null;

        await using var app = Create("Development", settings);

        Assert.NotNull(app.Services.GetService(typeof(McpFunctions.Core.Credentials.IKeyRing)));
    }

    [Fact]
    public void BrokenCatalogFile_FailsNamingFileAndField()
    {
        using var folder = new TempCatalog("""{"id":"broken","displayName":"B","auth":{"type":"api_key"},"api":{"baseUrl":"https://x.example","authHeader":{"name":"Authorization","value":"Bearer"}},"tools":[]}""");
        var settings = ValidSettings();
        settings["Providers:CatalogPath"] = folder.Path;

        var error = Assert.Throws<InvalidOperationException>(() => Create("Production", settings));

        Assert.Contains("broken.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("api.authHeader", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Providers:acme:ClientSecret", null, "Providers__acme__ClientId and Providers__acme__ClientSecret must be set together")]
    [InlineData("Providers:acme:ClientSecret", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/x)", "unresolved Key Vault reference")]
    [InlineData("OAuth:CallbackUrl", null, "OAuth__CallbackUrl (or Mcp__PublicBaseUrl) is required")]
    [InlineData("OAuth:ReturnUrlAllowlist:0", null, "OAuth__ReturnUrlAllowlist must list at least one URL outside Development")]
    [InlineData("OAuth:DefaultReturnUrl", "https://elsewhere.example/done", "OAuth__DefaultReturnUrl must be on OAuth__ReturnUrlAllowlist")]
    [InlineData("Providers:acme:TokenUrl", "http://token.example/", "Providers:acme:TokenUrl must be an absolute https URL")]
    [InlineData("Refresh:LeaseSeconds", "5", "Refresh__LeaseSeconds must be at least 20")]
    public void Production_BadOAuthSetting_FailsNamingIt(string setting, string? value, string expected)
    {
        using var folder = new TempCatalog(
            """{"id":"acme","displayName":"Acme","auth":{"type":"oauth2","oauth":{"authorizeUrl":"https://acme.example/authorize","tokenUrl":"https://acme.example/token"}},"api":{"baseUrl":"https://api.acme.example","authHeader":{"name":"Authorization","value":"Bearer {token}"}},"tools":[]}""",
            "acme.json");
        var settings = ValidSettings();
        settings["Providers:CatalogPath"] = folder.Path;
        settings["Providers:acme:ClientId"] = "client";
        settings["Providers:acme:ClientSecret"] = "client-secret-value";
        settings["OAuth:CallbackUrl"] = "https://api.example/api/oauth/callback";
        settings["OAuth:ReturnUrlAllowlist:0"] = "https://chat.example/";
        settings[setting] = value;

        var error = Assert.Throws<InvalidOperationException>(() => Create("Production", settings));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("client-secret-value", error.Message, StringComparison.Ordinal);
    }

    private const string AcmeDefinition =
        """{"displayName":"Acme","auth":{"type":"oauth2","oauth":{"authorizeUrl":"https://acme.example/authorize","tokenUrl":"https://acme.example/token"}},"api":{"baseUrl":"https://api.acme.example","authHeader":{"name":"Authorization","value":"Bearer {token}"}},"tools":[{"name":"acme_whoami","description":"Who.","inputSchema":{"type":"object"},"request":{"method":"GET","path":"/me"}}]}""";

    [Theory]
    [InlineData("""{"auth":{"type":"oauth2","oauth":{"authorizeUrl":"https://acme.example/authorize","tokenUrl":"https://acme.example/token"}},"api":{"baseUrl":"https://api.acme.example","authHeader":{"name":"Authorization","value":"Bearer {token}"}},"tools":[]}""", "displayName is required")]
    [InlineData("""{"displayName":"Acme","auth":{"type":"oauth2","oauth":{"authorizeUrl":"https://acme.example/authorize","tokenUrl":"http://acme.example/token"}},"api":{"baseUrl":"https://api.acme.example","authHeader":{"name":"Authorization","value":"Bearer {token}"}},"tools":[]}""", "auth.oauth.tokenUrl must be an absolute https URL")]
    [InlineData("""{"id":"other","displayName":"Acme","auth":{"type":"api_key"},"api":{"baseUrl":"https://api.acme.example","authHeader":{"name":"Authorization","value":"Bearer {token}"}},"tools":[]}""", "id must be 'acme'")]
    [InlineData("""{"displayName":"Acme",""", "invalid JSON")]
    [InlineData("null", "not a catalog entry")]
    public void BrokenDefinitionSetting_FailsNamingSettingAndField(string definition, string expected)
    {
        var settings = ValidSettings();
        settings["Providers:acme:Definition"] = definition;

        var error = Assert.Throws<InvalidOperationException>(() => Create("Production", settings));

        Assert.Contains("Providers__acme__Definition", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefinitionSettingWrittenAsAnObject_FailsSayingItMustBeAString()
    {
        // What appsettings.json makes of "Definition": { "displayName": ... } instead of a string.
        var settings = ValidSettings();
        settings["Providers:acme:Definition:displayName"] = "Acme";

        var error = Assert.Throws<InvalidOperationException>(() => Create("Production", settings));

        Assert.Contains("Providers__acme__Definition must be one string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefinitionSettingForAnEmbeddedProvider_FailsNamingBoth()
    {
        var settings = ValidSettings();
        settings["Providers:notion:Definition"] = AcmeDefinition.Replace("acme_whoami", "notion_whoami", StringComparison.Ordinal);

        var error = Assert.Throws<InvalidOperationException>(() => Create("Production", settings));

        Assert.Contains("Providers__notion__Definition", error.Message, StringComparison.Ordinal);
        Assert.Contains("id 'notion' is already defined in", error.Message, StringComparison.Ordinal);
        Assert.Contains("notion.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DefinitionSetting_WithoutId_DefinesTheProviderNamedBySetting_WithItsClient()
    {
        var settings = ValidSettings();
        settings["Providers:acme:Definition"] = AcmeDefinition;
        settings["Providers:acme:ClientId"] = "client";
        settings["Providers:acme:ClientSecret"] = "client-secret-value";
        settings["OAuth:CallbackUrl"] = "https://api.example/api/oauth/callback";
        settings["OAuth:ReturnUrlAllowlist:0"] = "https://chat.example/";

        await using var app = Create("Production", settings);

        var oauth = app.Services.GetRequiredService<OAuthProviders>().Get("acme");
        Assert.Equal("Acme", oauth.Descriptor.DisplayName);
        Assert.Equal(new Uri("https://acme.example/token"), oauth.TokenEndpoint);
        Assert.Equal("client", oauth.Client.ClientId);
        Assert.Equal("acme", app.Services.GetRequiredService<ProviderCatalog>().ToolsByName["acme_whoami"].Provider.Id);
    }

    private static Microsoft.AspNetCore.Builder.WebApplication Create(string environment, Dictionary<string, string?> settings) =>
        LocalHostApp.Create(["--environment", environment], b => b.Configuration.AddInMemoryCollection(settings));
}

/// <summary>A temporary folder holding catalog files, for <c>Providers:CatalogPath</c>.</summary>
public sealed class TempCatalog : IDisposable
{
    public TempCatalog(string json, string fileName = "broken.json")
        : this((fileName, json))
    {
    }

    public TempCatalog(params (string FileName, string Json)[] files)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "catalog-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        foreach (var (fileName, json) in files)
        {
            File.WriteAllText(System.IO.Path.Combine(Path, fileName), json);
        }
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
