using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpFunctions.Core.Providers;
using McpFunctions.Http.Json;

namespace McpFunctions.Tests.Core.Tools;

/// <summary>The real embedded catalog, and arguments that satisfy exactly what a tool's schema requires.</summary>
internal static class CatalogSamples
{
    private static readonly Lazy<ProviderCatalog> Catalog = new(() =>
        ProviderCatalog.Load(ProviderCatalog.EmbeddedFiles(), McpJsonContext.Default.ProviderDescriptor));

    /// <summary>Values tried, in order, for a string with a pattern: the first the pattern and lengths accept is used.</summary>
    private static readonly string[] PatternCandidates =
        ["6b4b9c3e-2f1d-4a8e-9c47-1f0e2d3c4b5a", "octocat", "hello-world", "personal", "owner"];

    public static ProviderDescriptor Provider(string id) => Catalog.Value.Get(id);

    public static ProviderCatalog All => Catalog.Value;

    public static TheoryData<string> ToolNames(string providerId)
    {
        var names = new TheoryData<string>();
        foreach (var tool in Provider(providerId).Tools)
        {
            names.Add(tool.Name);
        }

        return names;
    }

    public static ToolDescriptor Tool(string providerId, string name) => Provider(providerId).Tools.Single(t => t.Name == name);

    /// <summary>Arguments holding only the required properties, each with the smallest value its schema accepts.</summary>
    public static JsonElement MinimalArguments(JsonElement schema)
    {
        var json = new StringBuilder();
        Write(schema, json);
        return ToolFixtures.JsonOf(json.ToString());
    }

    private static void Write(JsonElement schema, StringBuilder json)
    {
        var type = schema.TryGetProperty("type", out var t) ? t.GetString() : "object";
        switch (type)
        {
            case "string":
                json.Append(JsonSerializer.Serialize(SampleString(schema), McpJsonContext.Default.String));
                break;
            case "integer" or "number":
                json.Append(schema.TryGetProperty("minimum", out var min) ? min.GetRawText() : "1");
                break;
            case "boolean":
                json.Append("true");
                break;
            case "array":
                var count = schema.TryGetProperty("minItems", out var minItems) ? minItems.GetInt32() : 0;
                json.Append('[');
                for (var i = 0; i < count; i++)
                {
                    json.Append(i == 0 ? string.Empty : ",");
                    Write(schema.GetProperty("items"), json);
                }

                json.Append(']');
                break;
            default:
                json.Append('{');
                var first = true;
                if (schema.TryGetProperty("required", out var required))
                {
                    foreach (var name in required.EnumerateArray().Select(n => n.GetString()!))
                    {
                        json.Append(first ? string.Empty : ",").Append('"').Append(name).Append("\":");
                        Write(schema.GetProperty("properties").GetProperty(name), json);
                        first = false;
                    }
                }

                json.Append('}');
                break;
        }
    }

    private static string SampleString(JsonElement schema)
    {
        if (schema.TryGetProperty("enum", out var allowed))
        {
            return allowed[0].GetString()!;
        }

        var minLength = schema.TryGetProperty("minLength", out var min) ? min.GetInt32() : 0;
        var maxLength = schema.TryGetProperty("maxLength", out var max) ? max.GetInt32() : int.MaxValue;
        var pattern = schema.TryGetProperty("pattern", out var p) ? new Regex(p.GetString()!) : null;
        return PatternCandidates.Append(new string('x', Math.Max(minLength, 1)))
            .First(c => c.Length >= minLength && c.Length <= maxLength && (pattern is null || pattern.IsMatch(c)));
    }
}
