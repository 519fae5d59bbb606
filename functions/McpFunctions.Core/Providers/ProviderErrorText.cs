using System.Text;
using System.Text.Json;

namespace McpFunctions.Core.Providers;

/// <summary>Turns a provider's error reply into a short message a user can act on.</summary>
/// <remarks>Providers put the human text in different fields (Notion <c>message</c>, OAuth
/// <c>error_description</c>, GitHub <c>message</c>, Qlik <c>errors[0].title</c>); we look in the usual
/// places and cap the length, so a huge or hostile body cannot flood our errors.</remarks>
public static class ProviderErrorText
{
    private const int MaxLength = 300;

    /// <param name="secret">The credential the call carried: scrubbed in case a provider echoes it back.</param>
    public static string From(ProviderReply reply, string? secret = null)
    {
        var text = Extract(reply);
        return string.IsNullOrEmpty(secret) ? text : text.Replace(secret, "***", StringComparison.Ordinal);
    }

    private static string Extract(ProviderReply reply)
    {
        if (reply.Body.IsEmpty)
        {
            return $"HTTP {reply.Status}";
        }

        try
        {
            using var document = JsonDocument.Parse(reply.Body);
            var root = document.RootElement;
            foreach (var path in (string[])["message", "error_description", "error.message", "detail", "title", "error"])
            {
                if (JsonPath.Find(root, path) is { ValueKind: JsonValueKind.String } found)
                {
                    return Cap(found.GetString()!);
                }
            }

            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errors", out var errors)
                && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0
                && JsonPath.Find(errors[0], "title") is { ValueKind: JsonValueKind.String } title)
            {
                return Cap(title.GetString()!);
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to the raw text.
        }

        return Cap(Encoding.UTF8.GetString(reply.Body.Span[..Math.Min(reply.Body.Length, MaxLength * 4)]));
    }

    private static string Cap(string text)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= MaxLength ? text : text[..MaxLength] + "…";
    }
}
