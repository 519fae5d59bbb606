using System.Text.Json;
using System.Text.RegularExpressions;
using McpFunctions.Adapters.Cosmos;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary>The ARM template the Bicep CLI compiled from infra/ (tools/bicep.sh, run by ./test.sh) holds what the code
/// relies on in Azure: its settings, identity-based connections, no secret in sight, and the Cosmos containers.</summary>
public sealed partial class InfrastructureTemplateTests
{
    /// <summary>Settings the Function App may leave unset: the code's default is the right one in Azure. Every other
    /// setting the code reads must be an app setting.</summary>
    private static readonly Dictionary<string, string> SafeDefaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["COSMOS__accountKey"] = "identity-based: a key must never be set in Azure",
        ["COSMOS__TrustLoopbackCertificate"] = "only for the local Cosmos-compatible server",
        ["KeyRing__Source"] = "set (KeyVault)",
        [McpFunctions.Adapters.KeyRing.LocalKeyRing.SettingName] = "the local key ring is for development; Azure uses Key Vault",
        [McpFunctions.Adapters.KeyRing.LocalKeyRing.PreviousSettingName] = "the local key ring is for development",
        ["Auth__SigningKey"] = "development tokens only; Azure validates Entra ID tokens through Auth__Authority",
        ["Auth__Issuer"] = "taken from the authority's metadata",
        ["Auth__Algorithms__0"] = "RS256 by default",
        ["Auth__ClockSkewSeconds"] = "default skew",
        ["Auth__DefaultTenant"] = "optional: only where tokens carry no tenant claim (azd parameter)",
        ["Auth__MetadataAddress"] = "derived from Auth__Authority",
        ["Auth__RequireHttpsMetadata"] = "https by default",
        ["Cache__"] = "tuning: the connection cache's code defaults",
        ["Refresh__"] = "tuning: refresh lease, backoff and sweep sizes have code defaults",
        ["Rewrap__"] = "tuning: re-wrap page size and parallelism have code defaults",
        ["Webhooks__"] = "tuning: attempts, timeout and the refreshed-event switch have code defaults",
        ["Jobs__Enabled"] = "the LocalHost's job runner; in Azure the timer functions run the jobs",
        ["KEY_VAULT__RefreshInterval"] = "10 minutes by default",
        ["Mcp__MaxRequestBytes"] = "code default",
        ["Mcp__ToolsPageSize"] = "code default",
        ["Mcp__AuthorizationServers__0"] = "optional: only when an authorization server is advertised",
        ["Mcp__ScopesSupported__0"] = "optional: only when tokens need scopes beyond their audience",
        ["OAuth__StateLifetimeMinutes"] = "code default",
        ["OAuth__CompletionLifetimeMinutes"] = "code default",
        ["Providers__CatalogPath"] = "the catalog is embedded; a path only adds files",
    };

    private static JsonElement Template { get; } = LoadTemplate();

    [Fact]
    public void EverySettingTheCodeReads_IsAnAppSettingOrHasASafeDefault()
    {
        var set = AppSettingNames();
        var missing = SampleSettingsTests.OptionsSettings().Concat(SampleSettingsTests.DirectSettings)
            .Where(setting => !set.Any(name => SampleSettingsTests.Pattern(setting).IsMatch(name)))
            .Where(setting => !IsSetByALoop(setting))
            .Where(setting => !SafeDefaults.Keys.Any(safe => safe.EndsWith("__", StringComparison.Ordinal)
                ? setting.StartsWith(safe, StringComparison.OrdinalIgnoreCase)
                : setting.Equals(safe, StringComparison.OrdinalIgnoreCase)))
            .Where(setting => !setting.Contains('{', StringComparison.Ordinal))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(missing.Count == 0, "read by the code, not set by infra/ and without a safe default:\n  " + string.Join("\n  ", missing));
    }

    /// <summary>List settings (<c>X__0</c>, <c>X__1</c>, …) are built by a Bicep loop from a parameter: their names are a
    /// <c>format('X__{0}', …)</c> in the template, not a literal.</summary>
    private static bool IsSetByALoop(string setting) =>
        setting.EndsWith("__0", StringComparison.Ordinal)
        && Template.GetRawText().Contains($"'{setting[..^1]}{{0}}'", StringComparison.OrdinalIgnoreCase);

    [Fact]
    public void Connections_AreIdentityBased()
    {
        var expressions = AppSettingExpressions();
        var names = AppSettingNames();

        Assert.Contains("COSMOS__clientId", names);
        Assert.Contains("KEY_VAULT__clientId", names);
        Assert.Contains("'AzureWebJobsStorage__credential', 'managedidentity'", expressions, StringComparison.Ordinal);
        Assert.DoesNotContain(names, n => n.Equals("COSMOS__accountKey", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(names, n => n.Equals("AzureWebJobsStorage", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", names);
    }

    [Fact]
    public void NoSecretOrKey_IsInAnOutputOrAPlainAppSetting()
    {
        var outputs = Template.GetProperty("outputs");
        foreach (var output in outputs.EnumerateObject())
        {
            if (!output.Name.EndsWith("name", StringComparison.OrdinalIgnoreCase))
            {
                Assert.DoesNotMatch(SecretName(), output.Name);
            }

            Assert.DoesNotContain("list", output.Value.GetRawText(), StringComparison.OrdinalIgnoreCase);
            Assert.NotEqual("securestring", output.Value.GetProperty("type").GetString(), StringComparer.OrdinalIgnoreCase);
        }

        var expressions = AppSettingExpressions();
        Assert.DoesNotContain("listKeys(", expressions, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("listConnectionStrings(", expressions, StringComparison.OrdinalIgnoreCase);
        // The one secret the app needs from infra/ arrives as a Key Vault reference, resolved by the platform.
        Assert.Matches(@"'REDIS_CONNECTION_STRING', format\('@Microsoft\.KeyVault\(", expressions);
    }

    [Fact]
    public void CosmosContainers_HaveThePartitionKeysAndTtlsTheCodeExpects()
    {
        var declared = Resources(Template)
            .Where(r => r.GetProperty("type").GetString() == "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers")
            .Select(r => r.GetProperty("properties").GetProperty("resource"))
            .ToDictionary(
                r => r.GetProperty("id").GetString()!,
                r => (Key: string.Join(",", r.GetProperty("partitionKey").GetProperty("paths").EnumerateArray().Select(p => p.GetString())),
                    Ttl: r.TryGetProperty("defaultTtl", out var ttl) ? ttl.GetInt32() : (int?)null));

        var expected = CosmosContainers.Definitions().ToDictionary(c => c.Id, c => (Key: c.PartitionKeyPath, Ttl: c.DefaultTimeToLive));

        Assert.Equal(expected.OrderBy(e => e.Key), declared.OrderBy(d => d.Key));
    }

    /// <summary>Setting names: every quoted name in the app settings' createObject/union expressions and the object
    /// variables they merge (the returned set is a superset: literal values such as 'true' come along, harmlessly).</summary>
    private static HashSet<string> AppSettingNames()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in Quoted().Matches(AppSettingExpressions()))
        {
            names.Add(m.Groups[1].Value);
        }

        foreach (var variables in Templates(Template).Select(t => t.TryGetProperty("variables", out var v) ? v : default).Where(v => v.ValueKind == JsonValueKind.Object))
        {
            foreach (var variable in variables.EnumerateObject())
            {
                AddKeys(variable.Value, names);
            }
        }

        return names;
    }

    private static void AddKeys(JsonElement value, HashSet<string> names)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                names.Add(property.Name);
                AddKeys(property.Value, names);
            }
        }
        else if (value.ValueKind == JsonValueKind.String)
        {
            foreach (Match m in Quoted().Matches(value.GetString()!))
            {
                names.Add(m.Groups[1].Value);
            }
        }
    }

    /// <summary>The app settings as written: the api module's appSettings parameter and its sites/config resource.</summary>
    private static string AppSettingExpressions()
    {
        var api = Deployments(Template).Single(d => d.GetProperty("name").GetString() == "api");
        var parameter = api.GetProperty("properties").GetProperty("parameters").GetProperty("appSettings").GetRawText();
        var config = Resources(api.GetProperty("properties").GetProperty("template"))
            .Single(r => r.GetProperty("type").GetString() == "Microsoft.Web/sites/config")
            .GetProperty("properties").GetRawText();
        return parameter + config;
    }

    private static IEnumerable<JsonElement> Templates(JsonElement template) =>
        new[] { template }.Concat(Deployments(template).Select(d => d.GetProperty("properties").GetProperty("template")));

    private static IEnumerable<JsonElement> Deployments(JsonElement template) =>
        TopResources(template).Where(r => r.GetProperty("type").GetString() == "Microsoft.Resources/deployments")
            .SelectMany(d => new[] { d }.Concat(Deployments(d.GetProperty("properties").GetProperty("template"))));

    private static IEnumerable<JsonElement> Resources(JsonElement template) =>
        TopResources(template).Concat(Deployments(template).SelectMany(d => TopResources(d.GetProperty("properties").GetProperty("template"))));

    private static IEnumerable<JsonElement> TopResources(JsonElement template) =>
        template.TryGetProperty("resources", out var resources)
            ? resources.ValueKind == JsonValueKind.Array ? resources.EnumerateArray() : resources.EnumerateObject().Select(p => p.Value)
            : [];

    private static JsonElement LoadTemplate()
    {
        var path = Environment.GetEnvironmentVariable("MCP_TEST_ARM_TEMPLATE");
        Assert.False(string.IsNullOrEmpty(path), "MCP_TEST_ARM_TEMPLATE is not set: run ./test.sh, which compiles infra/ with tools/bicep.sh first");
        return JsonDocument.Parse(File.ReadAllText(path!)).RootElement.Clone();
    }

    [GeneratedRegex(@"'([A-Za-z][A-Za-z0-9_]*)'")]
    private static partial Regex Quoted();

    [GeneratedRegex("(?i)(secret|password|connectionstring|accesskey|apikey|_KEY$)")]
    private static partial Regex SecretName();
}
