using System.Text.Json;

namespace McpFunctions.Core.Providers;

/// <summary>Resolves the dotted paths the catalog uses (e.g. <c>bot.workspace_name</c>) in a JSON value.</summary>
public static class JsonPath
{
    public static JsonElement? Find(JsonElement root, string dottedPath)
    {
        var current = root;
        foreach (var segment in dottedPath.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return null;
            }
        }

        return current;
    }
}
