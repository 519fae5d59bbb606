using Microsoft.Extensions.Configuration;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpFunctions.Adapters.Cosmos;
using McpFunctions.Adapters.Identity;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Adapters.Webhooks;
using McpFunctions.Core.Keys;
using McpFunctions.Http.Auth;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary><c>local.settings.sample.json</c> is the list of settings `func start` users copy: it must name every setting
/// the code reads, so nobody has to read the code to find one.</summary>
public sealed partial class SampleSettingsTests
{
    /// <summary>Settings read one by one rather than through an options class with a <c>Section</c>.
    /// <c>{id}</c> stands for any provider id; <c>{name}</c> for any header name.</summary>
    /// <remarks>Kept honest by <see cref="DirectReads_InTheSources_AreAllKnown"/>, which fails when the code reads a
    /// literal key that neither this list nor an options class names.</remarks>
    internal static readonly string[] DirectSettings =
    [
        LocalKeyRing.SettingName,
        LocalKeyRing.PreviousSettingName,
        ManagedIdentityClientId.FallbackSetting,
        RewrapOptions.ScheduleSetting,
        "REFRESH_SCHEDULE",
        "WEBHOOK_SCHEDULE",
        "Providers__CatalogPath",
        "Providers__{id}__BaseUrl",
        "Providers__{id}__TimeoutSeconds",
        "Providers__{id}__MaxResponseBytes",
        "Providers__{id}__Headers__{name}",
        "Providers__{id}__ClientId",
        "Providers__{id}__ClientSecret",
        "Providers__{id}__AuthorizeUrl",
        "Providers__{id}__TokenUrl",
        "Providers__{id}__RevokeUrl",
    ];

    [Fact]
    public void OptionsClasses_AreFoundByTheirSectionConstant()
    {
        // Guards the discovery itself: were it to find nothing, the completeness test would pass for nothing.
        var keys = OptionsSettings().ToList();

        foreach (var expected in new[] { "COSMOS__accountEndpoint", "Auth__Algorithms__0", "Auth__AdminRole", "OAuth__DefaultReturnUrl", "Mcp__AllowedOrigins__0", "KEY_VAULT__clientId", "Rewrap__MaxPerRun", "Jobs__Enabled" })
        {
            Assert.Contains(expected, keys, StringComparer.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void LocalSettingsSample_HasEverySettingTheCodeReads()
    {
        var sample = SampleKeys();

        var missing = OptionsSettings().Concat(DirectSettings)
            .Where(setting => !sample.Any(key => Pattern(setting).IsMatch(key)))
            .ToList();

        Assert.True(missing.Count == 0, "local.settings.sample.json lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void LocalSettingsSample_ValuesAreFlatStrings()
    {
        // The Core Tools turn Values into environment variables: a nested object or a number is not one.
        var values = JsonDocument.Parse(File.ReadAllText(SamplePath())).RootElement.GetProperty("Values");

        var notStrings = values.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.String).Select(p => p.Name).ToList();

        Assert.True(notStrings.Count == 0, "not string values: " + string.Join(", ", notStrings));
    }

    [Fact]
    public void DirectReads_InTheSources_AreAllKnown()
    {
        var known = OptionsSettings().Concat(DirectSettings).ToList();
        var sources = Directory.EnumerateFiles(Path.Combine(Repository.Root, "functions"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        var reads = sources.SelectMany(f => LiteralReads(File.ReadAllText(f))).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        // A key read from a provider's section (Providers:{id}) is known when some entry ends with it.
        var unknown = reads.Where(read => !known.Any(k => k.Equals(read, StringComparison.OrdinalIgnoreCase)
            || k.EndsWith("__" + read, StringComparison.OrdinalIgnoreCase))).ToList();

        Assert.NotEmpty(reads);
        Assert.True(unknown.Count == 0, "settings read in functions/ but not in DirectSettings or an options class: " + string.Join(", ", unknown));
    }

    /// <summary>Every bindable property of every options class (a type with a <c>const string Section</c>), as a flat setting name:
    /// its <c>[ConfigurationKeyName]</c> if it has one, and without a prefix for the root section <c>""</c>.</summary>
    internal static IEnumerable<string> OptionsSettings()
    {
        var assemblies = new[] { typeof(CosmosOptions).Assembly, typeof(RewrapOptions).Assembly, typeof(AuthOptions).Assembly };
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is not { IsLiteral: true } field
                || field.GetRawConstantValue() is not string section)
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var key = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
                var name = (section.Length == 0 ? key : $"{section}__{key}").Replace(":", "__", StringComparison.Ordinal);
                if (property.SetMethod is { IsPublic: true })
                {
                    yield return name;
                }
                else if (property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(IList<>))
                {
                    // A get-only IList<T> is bound element by element: Section__Name__0, __1, ...
                    yield return $"{name}__0";
                }
            }
        }
    }

    /// <summary>Literal keys in <c>configuration["A:B"]</c>, <c>GetSection("A")["B"]</c>, provider-section reads
    /// (<c>settings["X"]</c>, <c>section["X"]</c>) and <c>GetEnvironmentVariable("X")</c>, in flat form.</summary>
    private static IEnumerable<string> LiteralReads(string source)
    {
        foreach (Match m in IndexerRead().Matches(source))
        {
            yield return m.Groups["key"].Value.Replace(":", "__", StringComparison.Ordinal);
        }

        foreach (Match m in SectionRead().Matches(source))
        {
            yield return $"{m.Groups["section"].Value}__{m.Groups["key"].Value}";
        }

        foreach (Match m in EnvironmentRead().Matches(source))
        {
            yield return m.Groups["key"].Value;
        }
    }

    internal static Regex Pattern(string setting)
    {
        var pattern = Regex.Escape(setting)
            .Replace(@"\{id}", "[^_]+", StringComparison.Ordinal)
            .Replace(@"\{name}", ".+", StringComparison.Ordinal);
        return new Regex($"^{pattern}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    private static List<string> SampleKeys() =>
        JsonDocument.Parse(File.ReadAllText(SamplePath())).RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name).ToList();

    private static string SamplePath() => Path.Combine(Repository.Root, "local.settings.sample.json");

    [GeneratedRegex(@"\b(?:configuration|settings|section)\s*\[\s*""(?<key>[^""]+)""\s*\]")]
    private static partial Regex IndexerRead();

    [GeneratedRegex(@"GetSection\(\s*""(?<section>[^""]+)""\s*\)\s*\[\s*""(?<key>[^""]+)""\s*\]")]
    private static partial Regex SectionRead();

    [GeneratedRegex(@"GetEnvironmentVariable\(\s*""(?<key>[^""]+)""\s*\)")]
    private static partial Regex EnvironmentRead();
}
