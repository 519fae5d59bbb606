using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpFunctions.Core.Errors;

namespace McpFunctions.Core.Tools;

/// <summary>Checks tool arguments against a tool's input schema: the JSON Schema 2020-12 keywords our catalog uses.</summary>
/// <remarks>No JSON Schema library restores from our feed, so this implements the subset the catalog
/// needs and nothing more. The catalog loader rejects any keyword outside <see cref="SupportedKeywords"/>
/// and <see cref="AnnotationKeywords"/>, so a catalog author can never believe a keyword is enforced
/// when it is silently ignored. String lengths count Unicode code points, as the specification says.
/// Patterns are ECMAScript-flavoured .NET regular expressions (unanchored, <c>$</c> only at the very
/// end) with a 100 ms match timeout.</remarks>
public static class ArgumentValidator
{
    /// <summary>How deep schema and arguments are followed together before the arguments are refused.</summary>
    public const int MaxDepth = 64;

    private const int MaxShownLength = 64;

    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    /// <summary>Number keyword → whether a comparison of the value with the limit passes → the rule in words.</summary>
    private static readonly (string Keyword, Func<int, bool> Passes, string Rule)[] NumberRules =
    [
        ("minimum", c => c >= 0, "at least"),
        ("maximum", c => c <= 0, "at most"),
        ("exclusiveMinimum", c => c > 0, "greater than"),
        ("exclusiveMaximum", c => c < 0, "less than"),
    ];

    private static readonly FrozenSet<string> TypeNames =
        FrozenSet.ToFrozenSet(["object", "array", "string", "number", "integer", "boolean", "null"], StringComparer.Ordinal);

    /// <summary>The keywords this validator enforces.</summary>
    public static FrozenSet<string> SupportedKeywords { get; } = FrozenSet.ToFrozenSet(
        [
            "type", "properties", "required", "additionalProperties", "enum", "const",
            "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
            "items", "minItems", "maxItems",
        ],
        StringComparer.Ordinal);

    /// <summary>Keywords that only describe and are ignored when validating.</summary>
    public static FrozenSet<string> AnnotationKeywords { get; } = FrozenSet.ToFrozenSet(
        ["description", "title", "default", "examples", "format", "$schema", "$comment", "readOnly", "deprecated"],
        StringComparer.Ordinal);

    /// <summary>The first way <paramref name="arguments"/> break <paramref name="schema"/>, or null when they are valid.</summary>
    /// <exception cref="McpFunctionsException">The schema itself is malformed (a catalog bug the loader normally catches).</exception>
    public static ValidationFailure? Validate(JsonElement schema, JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            return new ValidationFailure(string.Empty, "type", "arguments must be a JSON object");
        }

        return Check(schema, arguments, string.Empty, string.Empty, 0);
    }

    /// <summary>Schema paths (e.g. <c>properties.filter.oneOf</c>) of keywords this validator would not enforce.</summary>
    public static IReadOnlyList<string> UnsupportedKeywords(JsonElement schema)
    {
        var walk = new SchemaWalk();
        walk.Visit(schema, string.Empty, 0);
        return walk.Unsupported;
    }

    /// <summary>Supported keywords whose value is malformed (e.g. a <c>pattern</c> that does not compile): schema path and problem.</summary>
    public static IReadOnlyList<(string Path, string Problem)> InvalidKeywords(JsonElement schema)
    {
        var walk = new SchemaWalk();
        walk.Visit(schema, string.Empty, 0);
        return walk.Invalid;
    }

    private static ValidationFailure? Check(JsonElement schema, JsonElement value, string field, string schemaPath, int depth)
    {
        if (depth > MaxDepth)
        {
            return Fail(field, schemaPath, $"is nested too deeply (more than {MaxDepth} levels)");
        }

        switch (schema.ValueKind)
        {
            case JsonValueKind.True:
                return null;
            case JsonValueKind.False:
                return Fail(field, schemaPath, "is not allowed");
            case JsonValueKind.Object:
                break;
            default:
                throw InvalidSchema(schemaPath, "a schema must be an object or a boolean");
        }

        if (schema.TryGetProperty("type", out var type) && !MatchesType(type, value, schemaPath))
        {
            // A number refused by "integer" has a fraction: show it, "not a number" would confuse.
            var actual = value.ValueKind == JsonValueKind.Number && type.ToString().Contains("integer", StringComparison.Ordinal)
                ? Shorten(value.GetRawText())
                : Describe(value.ValueKind);
            return Fail(field, Join(schemaPath, "type"), $"must be {DescribeTypes(type)}, not {actual}");
        }

        if (schema.TryGetProperty("enum", out var allowed))
        {
            if (allowed.ValueKind != JsonValueKind.Array)
            {
                throw InvalidSchema(Join(schemaPath, "enum"), "must be an array");
            }

            if (!allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
            {
                var choices = string.Join(", ", allowed.EnumerateArray().Select(a => a.GetRawText()));
                return Fail(field, Join(schemaPath, "enum"), $"must be one of {Shorten(choices, 300)}");
            }
        }

        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
        {
            return Fail(field, Join(schemaPath, "const"), $"must be {Shorten(constant.GetRawText(), 300)}");
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => CheckString(schema, value, field, schemaPath),
            JsonValueKind.Number => CheckNumber(schema, value, field, schemaPath),
            JsonValueKind.Array => CheckArray(schema, value, field, schemaPath, depth),
            JsonValueKind.Object => CheckObject(schema, value, field, schemaPath, depth),
            _ => null,
        };
    }

    private static ValidationFailure? CheckString(JsonElement schema, JsonElement value, string field, string schemaPath)
    {
        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Fail(field, schemaPath, "is not valid Unicode text");
        }

        var hasMin = TryGetCount(schema, "minLength", schemaPath, out var min);
        var hasMax = TryGetCount(schema, "maxLength", schemaPath, out var max);
        if (hasMin || hasMax)
        {
            var length = CodePoints(text);
            if (hasMin && length < min)
            {
                return Fail(field, Join(schemaPath, "minLength"), min == 1 ? "must not be empty" : $"must be at least {min} characters long (got {length})");
            }

            if (hasMax && length > max)
            {
                return Fail(field, Join(schemaPath, "maxLength"), $"must be at most {max} characters long (got {length})");
            }
        }

        if (schema.TryGetProperty("pattern", out var pattern))
        {
            var at = Join(schemaPath, "pattern");
            var regex = pattern.ValueKind == JsonValueKind.String
                ? PatternFor(pattern.GetString()!, at)
                : throw InvalidSchema(at, "must be a string");
            try
            {
                if (!regex.IsMatch(text))
                {
                    return Fail(field, at, $"must match the pattern {Shorten(pattern.GetString()!, 200)}");
                }
            }
            catch (RegexMatchTimeoutException)
            {
                return Fail(field, at, "could not be checked against its pattern in time; send a shorter value");
            }
        }

        return null;
    }

    private static ValidationFailure? CheckNumber(JsonElement schema, JsonElement value, string field, string schemaPath)
    {
        foreach (var (keyword, passes, rule) in NumberRules)
        {
            if (!schema.TryGetProperty(keyword, out var limit))
            {
                continue;
            }

            if (limit.ValueKind != JsonValueKind.Number)
            {
                throw InvalidSchema(Join(schemaPath, keyword), "must be a number");
            }

            if (!passes(CompareNumbers(value, limit)))
            {
                return Fail(field, Join(schemaPath, keyword), $"must be {rule} {limit.GetRawText()}");
            }
        }

        return null;
    }

    private static ValidationFailure? CheckArray(JsonElement schema, JsonElement value, string field, string schemaPath, int depth)
    {
        var count = value.GetArrayLength();
        if (TryGetCount(schema, "minItems", schemaPath, out var min) && count < min)
        {
            return Fail(field, Join(schemaPath, "minItems"), $"must have at least {min} item{(min == 1 ? "" : "s")} (got {count})");
        }

        if (TryGetCount(schema, "maxItems", schemaPath, out var max) && count > max)
        {
            return Fail(field, Join(schemaPath, "maxItems"), $"must have at most {max} item{(max == 1 ? "" : "s")} (got {count})");
        }

        if (schema.TryGetProperty("items", out var items))
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (Check(items, item, $"{field}[{index}]", Join(schemaPath, "items"), depth + 1) is { } failure)
                {
                    return failure;
                }

                index++;
            }
        }

        return null;
    }

    private static ValidationFailure? CheckObject(JsonElement schema, JsonElement value, string field, string schemaPath, int depth)
    {
        if (schema.TryGetProperty("required", out var required))
        {
            if (required.ValueKind != JsonValueKind.Array)
            {
                throw InvalidSchema(Join(schemaPath, "required"), "must be an array of property names");
            }

            foreach (var name in required.EnumerateArray())
            {
                if (name.ValueKind != JsonValueKind.String)
                {
                    throw InvalidSchema(Join(schemaPath, "required"), "must be an array of property names");
                }

                if (!value.TryGetProperty(name.GetString()!, out _))
                {
                    return Fail(Member(field, name.GetString()!), Join(schemaPath, "required"), "is required");
                }
            }
        }

        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        if (properties.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
        {
            throw InvalidSchema(Join(schemaPath, "properties"), "must be an object");
        }

        var hasAdditional = schema.TryGetProperty("additionalProperties", out var additional);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var member = Member(field, property.Name);
            if (!seen.Add(property.Name))
            {
                return new ValidationFailure(member, schemaPath, Prefix(field, $"field '{Shown(property.Name)}' appears more than once"));
            }

            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                if (Check(propertySchema, property.Value, member, Join(schemaPath, "properties", property.Name), depth + 1) is { } failure)
                {
                    return failure;
                }
            }
            else if (hasAdditional && additional.ValueKind == JsonValueKind.False)
            {
                return new ValidationFailure(member, Join(schemaPath, "additionalProperties"), Prefix(field, $"unknown field '{Shown(property.Name)}'"));
            }
            else if (hasAdditional && Check(additional, property.Value, member, Join(schemaPath, "additionalProperties"), depth + 1) is { } failure)
            {
                return failure;
            }
        }

        return null;
    }

    private static bool MatchesType(JsonElement type, JsonElement value, string schemaPath)
    {
        switch (type.ValueKind)
        {
            case JsonValueKind.String:
                return MatchesType(type.GetString()!, value, schemaPath);
            case JsonValueKind.Array:
                foreach (var name in type.EnumerateArray())
                {
                    if (name.ValueKind != JsonValueKind.String)
                    {
                        throw InvalidSchema(Join(schemaPath, "type"), "must be a type name or an array of type names");
                    }

                    if (MatchesType(name.GetString()!, value, schemaPath))
                    {
                        return true;
                    }
                }

                return false;
            default:
                throw InvalidSchema(Join(schemaPath, "type"), "must be a type name or an array of type names");
        }
    }

    private static bool MatchesType(string type, JsonElement value, string schemaPath) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && IsInteger(value),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => throw InvalidSchema(Join(schemaPath, "type"), $"'{type}' is not a JSON Schema type"),
    };

    private static bool IsInteger(JsonElement number)
    {
        if (number.TryGetDecimal(out var d))
        {
            return d == decimal.Truncate(d);
        }

        var x = number.GetDouble();
        return double.IsFinite(x) && Math.Floor(x) == x;
    }

    private static int CompareNumbers(JsonElement a, JsonElement b) =>
        a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y) ? x.CompareTo(y) : a.GetDouble().CompareTo(b.GetDouble());

    private static bool TryGetCount(JsonElement schema, string keyword, string schemaPath, out int count)
    {
        count = 0;
        if (!schema.TryGetProperty(keyword, out var value))
        {
            return false;
        }

        return IsCount(value, out count) ? true : throw InvalidSchema(Join(schemaPath, keyword), "must be a non-negative integer");
    }

    private static bool IsCount(JsonElement value, out int count)
    {
        count = 0;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var d) || d < 0 || d > int.MaxValue || d != decimal.Truncate(d))
        {
            return false;
        }

        count = (int)d;
        return true;
    }

    private static int CodePoints(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static Regex PatternFor(string pattern, string schemaPath)
    {
        try
        {
            return Patterns.GetOrAdd(pattern, static p => new Regex(ToEcmaScriptAnchors(p), RegexOptions.ECMAScript, PatternTimeout));
        }
        catch (ArgumentException)
        {
            throw InvalidSchema(schemaPath, "is not a valid regular expression");
        }
    }

    /// <summary>In ECMAScript (without the m flag) <c>$</c> matches only at the end; in .NET also before a final newline.</summary>
    private static string ToEcmaScriptAnchors(string pattern)
    {
        if (!pattern.Contains('$', StringComparison.Ordinal))
        {
            return pattern;
        }

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

            if (c == '[')
            {
                inClass = true;
            }
            else if (c == ']')
            {
                inClass = false;
            }
            else if (c == '$' && !inClass)
            {
                result.Append(@"\z");
                continue;
            }

            result.Append(c);
        }

        return result.ToString();
    }

    private static ValidationFailure Fail(string field, string schemaPath, string text) => new(field, schemaPath, Prefix(field, text));

    private static string Prefix(string field, string text) => field.Length == 0 ? text : $"{field}: {text}";

    private static string Member(string field, string name) => field.Length == 0 ? Shown(name) : $"{field}.{Shown(name)}";

    private static string Join(string path, string keyword) => path.Length == 0 ? keyword : $"{path}.{keyword}";

    private static string Join(string path, string keyword, string name) => Join(Join(path, keyword), name);

    /// <summary>A name from the arguments as it may appear in a message: short, no control characters.</summary>
    private static string Shown(string name)
    {
        var shown = name.Length <= MaxShownLength ? name : name[..MaxShownLength] + "…";
        return shown.Any(char.IsControl) ? new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray()) : shown;
    }

    private static string Shorten(string text, int max = MaxShownLength) => text.Length <= max ? text : text[..max] + "…";

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string DescribeTypes(JsonElement type)
    {
        var names = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!) : [type.GetString()!];
        return string.Join(" or ", names.Select(n => n switch
        {
            "object" => "an object",
            "array" => "an array",
            "string" => "a string",
            "number" => "a number",
            "integer" => "an integer",
            "boolean" => "a boolean",
            _ => n,
        }));
    }

    private static McpFunctionsException InvalidSchema(string schemaPath, string problem) =>
        new(ErrorCode.InternalError, $"The tool's input schema is invalid at {(schemaPath.Length == 0 ? "its root" : schemaPath)}: {problem}.");

    /// <summary>One pass over a schema collecting unsupported keywords and malformed keyword values.</summary>
    private sealed class SchemaWalk
    {
        public List<string> Unsupported { get; } = [];

        public List<(string Path, string Problem)> Invalid { get; } = [];

        public void Visit(JsonElement schema, string path, int depth)
        {
            if (schema.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                return;
            }

            if (schema.ValueKind != JsonValueKind.Object)
            {
                Invalid.Add((path, "must be a schema (an object or a boolean)"));
                return;
            }

            if (depth > MaxDepth)
            {
                Invalid.Add((path, $"is nested more than {MaxDepth} levels deep"));
                return;
            }

            foreach (var keyword in schema.EnumerateObject())
            {
                var at = Join(path, keyword.Name);
                if (AnnotationKeywords.Contains(keyword.Name))
                {
                    continue;
                }

                if (!SupportedKeywords.Contains(keyword.Name))
                {
                    Unsupported.Add(at);
                    continue;
                }

                if (Problem(keyword.Name, keyword.Value, at, depth) is { } problem)
                {
                    Invalid.Add((at, problem));
                }
            }
        }

        private string? Problem(string keyword, JsonElement value, string at, int depth)
        {
            switch (keyword)
            {
                case "type":
                    var names = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
                    return names.Count > 0 && names.All(n => n.ValueKind == JsonValueKind.String && TypeNames.Contains(n.GetString()!))
                        && names.Select(n => n.GetString()).Distinct(StringComparer.Ordinal).Count() == names.Count
                        ? null
                        : $"must be one of {string.Join(", ", TypeNames.Order(StringComparer.Ordinal))} or a non-empty array of distinct ones";
                case "properties":
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        return "must be an object mapping property names to schemas";
                    }

                    foreach (var property in value.EnumerateObject())
                    {
                        Visit(property.Value, Join(at, property.Name), depth + 1);
                    }

                    return null;
                case "additionalProperties" or "items":
                    Visit(value, at, depth + 1);
                    return null;
                case "required":
                    return value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(n => n.ValueKind == JsonValueKind.String)
                        ? null
                        : "must be an array of property names";
                case "enum":
                    return value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0 ? null : "must be a non-empty array";
                case "minLength" or "maxLength" or "minItems" or "maxItems":
                    return IsCount(value, out _) ? null : "must be a non-negative integer";
                case "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum":
                    return value.ValueKind == JsonValueKind.Number ? null : "must be a number";
                case "pattern":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        return "must be a string";
                    }

                    try
                    {
                        PatternFor(value.GetString()!, at);
                        return null;
                    }
                    catch (McpFunctionsException)
                    {
                        return "is not a valid ECMAScript regular expression";
                    }

                default:
                    return null;
            }
        }
    }
}
