using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;

namespace McpFunctions.Core.Tools;

/// <summary>Turns a tool call's arguments into the provider call its request template describes.</summary>
/// <remarks>An argument can only ever become one encoded path segment, one query value or one JSON
/// value: it cannot add a path segment, climb out of the template's path or name another host, so a
/// call stays under the provider's base URL whatever a model sends. Arguments no template names (such
/// as the server's own <c>account</c>) are never sent.</remarks>
public static partial class ToolRequestRenderer
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <exception cref="McpFunctionsException"><see cref="ErrorCode.ValidationError"/> naming the argument that cannot be used.</exception>
    public static ProviderCall Render(ToolDescriptor tool, JsonElement arguments)
    {
        ArgumentNullException.ThrowIfNull(tool);
        if (arguments.ValueKind == JsonValueKind.Undefined)
        {
            using var empty = JsonDocument.Parse("{}");
            return Render(tool, empty.RootElement.Clone());
        }

        if (arguments.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("arguments must be a JSON object");
        }

        var request = tool.Request;
        var pathAndQuery = new StringBuilder(RenderPath(request.Path, arguments));
        var separator = request.Path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        foreach (var (name, value) in RenderQuery(request.Query, arguments))
        {
            pathAndQuery.Append(separator).Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        return new ProviderCall(request.Method, pathAndQuery.ToString(), RenderBody(request.Body, arguments));
    }

    private static string RenderPath(string template, JsonElement arguments) =>
        ProviderCatalog.PlaceholderPattern().Replace(template, match =>
        {
            var name = match.Groups[1].Value;
            if (!arguments.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                throw Invalid($"{name}: is required");
            }

            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Number => value.GetRawText(),
                _ => throw Invalid($"{name}: must be a string"),
            };
            return Uri.EscapeDataString(CheckSegment(name, text));
        });

    /// <summary>A value that will become one path segment: an ID, never a path, a relative step or a URL.</summary>
    private static string CheckSegment(string name, string text) =>
        SegmentProblem(text) is { } problem ? throw Invalid($"{name}: {problem}") : text;

    /// <summary>Why <paramref name="text"/> cannot be one path segment, or null when it can (an ID).</summary>
    internal static string? SegmentProblem(string text) =>
        text.Length == 0 ? "must not be empty"
        : text.StartsWith("//", StringComparison.Ordinal) || AbsoluteUrl().IsMatch(text) ? "must be an ID, not a URL"
        : text.Contains("..", StringComparison.Ordinal) || text == "." ? "must be an ID, not a relative path ('.' and '..' are not allowed)"
        : text.Contains('/', StringComparison.Ordinal) || text.Contains('\\', StringComparison.Ordinal) ? "must be a single ID ('/' and '\\' are not allowed)"
        : text.Any(char.IsControl) ? "must not contain control characters"
        : null;

    private static IEnumerable<(string Name, string Value)> RenderQuery(IReadOnlyDictionary<string, string>? query, JsonElement arguments)
    {
        foreach (var (parameter, template) in query ?? new Dictionary<string, string>())
        {
            if (PlaceholderName(template) is not { } name)
            {
                yield return (parameter, template);
                continue;
            }

            if (!arguments.TryGetProperty(name, out var value))
            {
                continue;
            }

            if (value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in value.EnumerateArray())
                {
                    if (QueryValue(name, item) is { } text)
                    {
                        yield return (parameter, text);
                    }
                }
            }
            else if (QueryValue(name, value) is { } text)
            {
                yield return (parameter, text);
            }
        }
    }

    private static string? QueryValue(string name, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => null,
        _ => throw Invalid($"{name}: must be a string, a number, a boolean or an array of them"),
    };

    private static ReadOnlyMemory<byte> RenderBody(JsonElement? template, JsonElement arguments)
    {
        if (template is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } root)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (IsPresent(root, arguments))
            {
                Write(writer, root, arguments);
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                // Every property was an absent optional argument: the call still has a (empty) body.
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else if (root.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray();
                writer.WriteEndArray();
            }
        }

        return buffer.WrittenMemory;
    }

    /// <summary>Whether a template node produces anything: an absent placeholder does not, nor a container whose every part was absent.</summary>
    private static bool IsPresent(JsonElement template, JsonElement arguments) => template.ValueKind switch
    {
        JsonValueKind.String => PlaceholderName(template.GetString()!) is not { } name || arguments.TryGetProperty(name, out _),
        JsonValueKind.Object => !template.EnumerateObject().Any() || template.EnumerateObject().Any(p => IsPresent(p.Value, arguments)),
        JsonValueKind.Array => template.GetArrayLength() == 0 || template.EnumerateArray().Any(e => IsPresent(e, arguments)),
        _ => true,
    };

    private static void Write(Utf8JsonWriter writer, JsonElement template, JsonElement arguments)
    {
        switch (template.ValueKind)
        {
            case JsonValueKind.String when PlaceholderName(template.GetString()!) is { } name:
                arguments.GetProperty(name).WriteTo(writer);
                break;
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in template.EnumerateObject())
                {
                    if (IsPresent(property.Value, arguments))
                    {
                        writer.WritePropertyName(property.Name);
                        Write(writer, property.Value, arguments);
                    }
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var element in template.EnumerateArray())
                {
                    if (IsPresent(element, arguments))
                    {
                        Write(writer, element, arguments);
                    }
                }

                writer.WriteEndArray();
                break;
            default:
                template.WriteTo(writer);
                break;
        }
    }

    /// <summary>The argument name when the template is exactly <c>{name}</c>; anything else is a literal.</summary>
    private static string? PlaceholderName(string template) =>
        template.Length > 2 && template[0] == '{' && template[^1] == '}' && WholePlaceholder().IsMatch(template) ? template[1..^1] : null;

    private static McpFunctionsException Invalid(string message) => new(ErrorCode.ValidationError, message);

    [GeneratedRegex(@"\A\{[A-Za-z0-9_]+\}\z")]
    private static partial Regex WholePlaceholder();

    [GeneratedRegex(@"\A[A-Za-z][A-Za-z0-9+.-]*:(//|\\)")]
    private static partial Regex AbsoluteUrl();
}
