using System.Text.Json;

namespace McpFunctions.Core.Providers;

/// <summary>Picks the metadata a catalog entry names (name → dotted path) out of a provider's JSON answer.</summary>
public static class ProviderMetadata
{
    /// <summary>Scalar values only; absent paths and a non-JSON body yield no entry rather than an error.</summary>
    public static Dictionary<string, string> Extract(ReadOnlyMemory<byte> json, IReadOnlyDictionary<string, string>? paths)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (paths is null || paths.Count == 0)
        {
            return metadata;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return Extract(document.RootElement, paths);
        }
        catch (JsonException)
        {
            return metadata;
        }
    }

    public static Dictionary<string, string> Extract(JsonElement root, IReadOnlyDictionary<string, string>? paths)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, path) in paths ?? new Dictionary<string, string>())
        {
            if (JsonPath.Find(root, path) is { ValueKind: JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } value)
            {
                metadata[name] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            }
        }

        return metadata;
    }
}
