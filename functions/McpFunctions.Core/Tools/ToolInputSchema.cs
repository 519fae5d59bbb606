using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace McpFunctions.Core.Tools;

/// <summary>A tool's input schema compiled once by JsonSchema.Net (full JSON Schema 2020-12), and the check of a
/// call's arguments against it in words a model can act on.</summary>
public sealed class ToolInputSchema
{
    private const int MaxShownLength = 64;

    /// <summary>The hot path: valid or not, nothing collected (most calls are valid).</summary>
    private static readonly EvaluationOptions FlagOutput = new() { OutputFormat = OutputFormat.Flag };

    /// <summary>Only for arguments already known to be invalid: every failure with its location, to name the field.</summary>
    private static readonly EvaluationOptions ListOutput = new() { OutputFormat = OutputFormat.List };

    private readonly JsonSchema schema;

    private ToolInputSchema(JsonSchema schema) => this.schema = schema;

    /// <summary>Compiles <paramref name="schema"/>; a schema the library cannot build fails here, at catalog load.</summary>
    /// <exception cref="FormatException">The schema is not valid JSON Schema (the message says why).</exception>
    public static ToolInputSchema Compile(JsonElement schema)
    {
        try
        {
            // A registry of its own per schema: nothing one schema declares ($id, $anchor) can reach another's.
            var node = JsonNode.Parse(schema.GetRawText());
            AnchorPatternEnds(node);
            using var document = JsonDocument.Parse(node?.ToJsonString() ?? "true");
            return new ToolInputSchema(JsonSchema.Build(document.RootElement.Clone(), new BuildOptions { SchemaRegistry = new SchemaRegistry() }));
        }
        catch (Exception ex) when (ex is JsonSchemaException or RegexParseException or JsonException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException(ex.Message, ex);
        }
    }

    /// <summary>JSON Schema patterns are ECMA-262, where <c>$</c> is the end of the input; in .NET's engine, which the
    /// library uses, <c>$</c> also matches before a final newline, so <c>^[a-z]+$</c> would let <c>"abc\n"</c> through.
    /// Every <c>$</c> outside a character class becomes <c>\z</c>, the end of the input.</summary>
    private static void AnchorPatternEnds(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (name == "pattern" && value is JsonValue text && text.TryGetValue<string>(out var pattern))
                    {
                        obj[name] = EndAnchored(pattern);
                    }
                    else
                    {
                        AnchorPatternEnds(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    AnchorPatternEnds(item);
                }

                break;
        }
    }

    private static string EndAnchored(string pattern)
    {
        var result = new StringBuilder(pattern.Length + 4);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                result.Append(c).Append(pattern[++i]);
                continue;
            }

            inClass = c switch { '[' => true, ']' => false, _ => inClass };
            result.Append(c == '$' && !inClass ? @"\z" : c.ToString());
        }

        return result.ToString();
    }

    /// <summary>The first way <paramref name="arguments"/> break the schema, or null when they are valid.</summary>
    public ValidationFailure? Validate(JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            return new ValidationFailure(string.Empty, "type", "arguments must be a JSON object");
        }

        if (schema.Evaluate(arguments, FlagOutput).IsValid)
        {
            return null;
        }

        var results = schema.Evaluate(arguments, ListOutput);

        // The deepest failure says the most: "filter.value: ..." rather than "filter: ...".
        var failure = (results.Details ?? []).Prepend(results)
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => (Detail: d, Keyword: e.Key, Message: e.Value)))
            .OrderByDescending(f => f.Detail.InstanceLocation.SegmentCount)
            .FirstOrDefault();
        if (failure.Detail is null)
        {
            return new ValidationFailure(string.Empty, string.Empty, "arguments do not match the tool's input schema");
        }

        var field = FieldPath(failure.Detail.InstanceLocation.ToString());
        var message = failure.Keyword.Length == 0 ? "is not an allowed argument" : ShownMessage(failure.Message);
        return new ValidationFailure(
            field,
            failure.Detail.EvaluationPath.ToString(),
            field.Length == 0 ? message : $"{field}: {message}");
    }

    private static string ShownMessage(string text) => text.Length <= MaxShownLength * 4 ? text : text[..(MaxShownLength * 4)] + "…";

    /// <summary><c>/children/2/type</c> → <c>children[2].type</c>; empty for the arguments as a whole.</summary>
    private static string FieldPath(string pointer)
    {
        var path = new StringBuilder();
        foreach (var raw in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (segment.All(char.IsAsciiDigit) && path.Length > 0)
            {
                path.Append('[').Append(segment).Append(']');
            }
            else
            {
                path.Append(path.Length == 0 ? "" : ".").Append(Shown(segment));
            }
        }

        return path.ToString();
    }

    /// <summary>Argument names and messages echo caller input: bounded, and without control characters, so an answer
    /// never carries a huge or line-breaking value back.</summary>
    private static string Shown(string text)
    {
        var shown = text.Length <= MaxShownLength ? text : text[..MaxShownLength] + "…";
        return string.Create(shown.Length, shown, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
    }
}
