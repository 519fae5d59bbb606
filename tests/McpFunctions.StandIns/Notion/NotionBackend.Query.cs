using System.Globalization;
using System.Text.Json.Nodes;
using static McpFunctions.StandIns.Notion.NotionJson;
using Err = McpFunctions.StandIns.Notion.NotionApiException;

namespace McpFunctions.StandIns.Notion;

/// <summary>Database query: property and timestamp filters (with <c>and</c>/<c>or</c>), sorts and pagination.</summary>
internal sealed partial class NotionBackend
{
    private static readonly string[] FilterKeys =
    [
        "title", "rich_text", "url", "email", "phone_number", "number", "checkbox", "select", "multi_select", "status",
        "date", "created_time", "last_edited_time", "people", "created_by", "last_edited_by", "relation",
        "files", "formula", "rollup", "unique_id",
    ];

    private static readonly string[] TextTypes = ["title", "rich_text", "url", "email", "phone_number"];
    private static readonly string[] TextOps = ["equals", "does_not_equal", "contains", "does_not_contain", "starts_with", "ends_with", "is_empty", "is_not_empty"];
    private static readonly string[] NumberOps = ["equals", "does_not_equal", "greater_than", "less_than", "greater_than_or_equal_to", "less_than_or_equal_to", "is_empty", "is_not_empty"];
    private static readonly string[] CheckboxOps = ["equals", "does_not_equal"];
    private static readonly string[] SelectOps = ["equals", "does_not_equal", "is_empty", "is_not_empty"];
    private static readonly string[] ContainsOps = ["contains", "does_not_contain", "is_empty", "is_not_empty"];
    private static readonly string[] DateOps = ["equals", "before", "after", "on_or_before", "on_or_after", "is_empty", "is_not_empty"];

    private static JsonObject QueryDatabase(Ctx c, Guid id, JsonObject body)
    {
        var db = FindDatabase(c.Ws, id);
        var filter = body["filter"] is { } f ? CompileFilter(db, f, "body.filter", 0) : _ => true;
        var sort = body["sorts"] is { } s ? CompileSorts(db, s, "body.sorts") : null;
        var paging = PagingFromBody(body);
        var rows = db.Children
            .Select(x => c.Ws.Nodes[x])
            .Where(n => n.Kind == NodeKind.Page && !n.Archived && filter(n))
            .ToList();
        if (sort is not null)
        {
            rows = [.. rows.OrderBy(n => n, Comparer<Node>.Create(sort))];
        }

        return Paginate(rows, n => n.Id, n => RenderPage(c.Ws, n), paging, "page_or_database", "body.start_cursor");
    }

    private static Func<Node, bool> CompileFilter(Node db, JsonNode? node, string path, int depth)
    {
        if (node is not JsonObject f)
        {
            throw Err.Expected(path, "an object", node);
        }

        foreach (var compound in (ReadOnlySpan<string>)["and", "or"])
        {
            if (!f.ContainsKey(compound))
            {
                continue;
            }

            if (f[compound] is not JsonArray parts)
            {
                throw Err.Expected($"{path}.{compound}", "an array", f[compound]);
            }

            if (depth >= 2)
            {
                throw Err.Validation($"body failed validation: {path}.{compound} is nested too deeply; compound filters support two levels of nesting.");
            }

            var compiled = parts.Select((p, i) => CompileFilter(db, p, $"{path}.{compound}[{i}]", depth + 1)).ToList();
            return compound == "and" ? n => compiled.TrueForAll(x => x(n)) : n => compiled.Exists(x => x(n));
        }

        if (TryString(f["timestamp"], out var timestamp))
        {
            if (timestamp is not ("created_time" or "last_edited_time"))
            {
                throw Err.Expected($"{path}.timestamp", "`\"created_time\"` or `\"last_edited_time\"`", f["timestamp"]);
            }

            if (f[timestamp] is not JsonObject tsCondition)
            {
                throw Err.Expected($"{path}.{timestamp}", "an object", f[timestamp], f.ContainsKey(timestamp));
            }

            return DateCondition(
                n => timestamp == "created_time" ? n.CreatedTime : n.LastEditedTime, tsCondition, $"{path}.{timestamp}");
        }

        if (!TryString(f["property"], out var name))
        {
            throw Err.Validation(FixOne(path, ["property", "timestamp", "or", "and"]));
        }

        var prop = FindProperty(db.Schema, name) ?? throw Err.Validation($"Could not find property with name or id: {name}");
        var key = FilterKeys.FirstOrDefault(f.ContainsKey) ?? throw Err.Missing($"{path}.{prop.Type}");
        var compatible = key == prop.Type
            || (TextTypes.Contains(key) && TextTypes.Contains(prop.Type))
            || (key == "date" && prop.Type is "date" or "created_time" or "last_edited_time")
            || (key == "people" && prop.Type is "people" or "created_by" or "last_edited_by");
        if (!compatible)
        {
            throw Err.Validation($"database property {prop.Type} does not match filter {key}");
        }

        if (f[key] is not JsonObject condition)
        {
            throw Err.Expected($"{path}.{key}", "an object", f[key]);
        }

        var condPath = $"{path}.{key}";
        switch (prop.Type)
        {
            case "title":
            case "rich_text":
            case "url":
            case "email":
            case "phone_number":
                return TextCondition(n => TextOf(ValueOf(n, prop)), condition, condPath);

            case "number":
                return NumberCondition(n => TryNumber(ValueOf(n, prop), out var d) ? d : null, condition, condPath);

            case "checkbox":
            {
                var (op, arg) = SingleCondition(condition, condPath, CheckboxOps);
                var wanted = TryBool(arg, out var b) ? b : throw Err.Expected($"{condPath}.{op}", "a boolean", arg);
                return n => TryBool(ValueOf(n, prop), out var v) && (v == wanted) == (op == "equals");
            }

            case "select":
            case "status":
            {
                var (op, arg) = SingleCondition(condition, condPath, SelectOps);
                Func<Node, string?> get = n => ValueOf(n, prop) is JsonObject o && TryString(o["name"], out var s) ? s : null;
                return op switch
                {
                    "is_empty" => n => get(n) is null,
                    "is_not_empty" => n => get(n) is not null,
                    _ => StringArg(arg, condPath, op) is var wanted && op == "equals"
                        ? n => get(n) == wanted
                        : n => get(n) != wanted,
                };
            }

            case "multi_select":
            {
                var (op, arg) = SingleCondition(condition, condPath, ContainsOps);
                Func<Node, List<string>> get = n => ValueOf(n, prop) is JsonArray a
                    ? [.. a.OfType<JsonObject>().Select(o => TryString(o["name"], out var s) ? s : "")]
                    : [];
                return op switch
                {
                    "is_empty" => n => get(n).Count == 0,
                    "is_not_empty" => n => get(n).Count > 0,
                    _ => StringArg(arg, condPath, op) is var wanted && op == "contains"
                        ? n => get(n).Contains(wanted)
                        : n => !get(n).Contains(wanted),
                };
            }

            case "date":
                return DateCondition(
                    n => ValueOf(n, prop) is JsonObject o && TryString(o["start"], out var s) && TryParseDate(s, out var d) ? d : null,
                    condition,
                    condPath);

            case "created_time":
            case "last_edited_time":
                return DateCondition(n => prop.Type == "created_time" ? n.CreatedTime : n.LastEditedTime, condition, condPath);

            case "people":
            case "relation":
            case "created_by":
            case "last_edited_by":
            {
                var (op, arg) = SingleCondition(condition, condPath, ContainsOps);
                Func<Node, List<string>> get = n => ValueOf(n, prop) switch
                {
                    JsonArray a => [.. a.OfType<JsonObject>().Select(o => TryString(o["id"], out var s) ? s : "")],
                    JsonObject o when TryString(o["id"], out var s) => [s],
                    _ => [],
                };
                if (op is "is_empty" or "is_not_empty")
                {
                    return op == "is_empty" ? n => get(n).Count == 0 : n => get(n).Count > 0;
                }

                var wanted = TryString(arg, out var raw) && TryParseId(raw, out var g)
                    ? Id(g)
                    : throw Err.Expected($"{condPath}.{op}", "a valid uuid", arg);
                return op == "contains" ? n => get(n).Contains(wanted) : n => !get(n).Contains(wanted);
            }

            default:
                throw Err.Validation($"Filtering on {prop.Type} properties is not supported by this stand-in.");
        }
    }

    private static (string Op, JsonNode? Arg) SingleCondition(JsonObject condition, string path, string[] ops)
    {
        foreach (var (key, value) in condition)
        {
            if (ops.Contains(key))
            {
                return (key, value);
            }
        }

        throw Err.Validation(FixOne(path, ops));
    }

    private static string StringArg(JsonNode? arg, string path, string op) =>
        TryString(arg, out var s) ? s : throw Err.Expected($"{path}.{op}", "a string", arg);

    private static void RequireTrue(JsonNode? arg, string path, string op)
    {
        if (!TryBool(arg, out var b) || !b)
        {
            throw Err.Expected($"{path}.{op}", "`true`", arg);
        }
    }

    private static string TextOf(JsonNode? value) => value switch
    {
        JsonArray => PlainText(value),
        _ when TryString(value, out var s) => s,
        _ => "",
    };

    private static Func<Node, bool> TextCondition(Func<Node, string> get, JsonObject condition, string path)
    {
        var (op, arg) = SingleCondition(condition, path, TextOps);
        if (op is "is_empty" or "is_not_empty")
        {
            RequireTrue(arg, path, op);
            return op == "is_empty" ? n => get(n).Length == 0 : n => get(n).Length > 0;
        }

        var wanted = StringArg(arg, path, op);
        const StringComparison ci = StringComparison.OrdinalIgnoreCase;
        return op switch
        {
            "equals" => n => string.Equals(get(n), wanted, ci),
            "does_not_equal" => n => !string.Equals(get(n), wanted, ci),
            "contains" => n => get(n).Contains(wanted, ci),
            "does_not_contain" => n => !get(n).Contains(wanted, ci),
            "starts_with" => n => get(n).StartsWith(wanted, ci),
            _ => n => get(n).EndsWith(wanted, ci),
        };
    }

    private static Func<Node, bool> NumberCondition(Func<Node, double?> get, JsonObject condition, string path)
    {
        var (op, arg) = SingleCondition(condition, path, NumberOps);
        if (op is "is_empty" or "is_not_empty")
        {
            RequireTrue(arg, path, op);
            return op == "is_empty" ? n => get(n) is null : n => get(n) is not null;
        }

        var wanted = TryNumber(arg, out var d) ? d : throw Err.Expected($"{path}.{op}", "a number", arg);
        return op switch
        {
            "equals" => n => get(n) == wanted,
            "does_not_equal" => n => get(n) != wanted,
            "greater_than" => n => get(n) > wanted,
            "less_than" => n => get(n) < wanted,
            "greater_than_or_equal_to" => n => get(n) >= wanted,
            _ => n => get(n) <= wanted,
        };
    }

    private static bool TryParseDate(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    private static Func<Node, bool> DateCondition(Func<Node, DateTimeOffset?> get, JsonObject condition, string path)
    {
        var (op, arg) = SingleCondition(condition, path, DateOps);
        if (op is "is_empty" or "is_not_empty")
        {
            RequireTrue(arg, path, op);
            return op == "is_empty" ? n => get(n) is null : n => get(n) is not null;
        }

        if (!TryString(arg, out var text) || !TryParseDate(text, out var wanted))
        {
            throw Err.Expected($"{path}.{op}", "an ISO 8601 date string", arg);
        }

        // A date without a time compares by day, as Notion's date filters do.
        var byDay = text.Length <= 10;
        Func<Node, DateTimeOffset?> key = byDay
            ? n => get(n) is { } v ? new DateTimeOffset(v.UtcDateTime.Date, TimeSpan.Zero) : null
            : get;
        if (byDay)
        {
            wanted = new DateTimeOffset(wanted.UtcDateTime.Date, TimeSpan.Zero);
        }

        return op switch
        {
            "equals" => n => key(n) == wanted,
            "before" => n => key(n) < wanted,
            "after" => n => key(n) > wanted,
            "on_or_before" => n => key(n) <= wanted,
            _ => n => key(n) >= wanted,
        };
    }

    private static Comparison<Node> CompileSorts(Node db, JsonNode? node, string path)
    {
        if (node is not JsonArray sorts)
        {
            throw Err.Expected(path, "an array", node);
        }

        var comparisons = new List<Comparison<Node>>();
        for (var i = 0; i < sorts.Count; i++)
        {
            var p = $"{path}[{i}]";
            if (sorts[i] is not JsonObject sort)
            {
                throw Err.Expected(p, "an object", sorts[i]);
            }

            var direction = "ascending";
            if (sort.ContainsKey("direction")
                && (!TryString(sort["direction"], out direction) || direction is not ("ascending" or "descending")))
            {
                throw Err.Expected($"{p}.direction", "`\"ascending\"` or `\"descending\"`", sort["direction"]);
            }

            Comparison<Node> compare;
            if (TryString(sort["timestamp"], out var timestamp))
            {
                compare = timestamp switch
                {
                    "created_time" => (a, b) => a.CreatedTime.CompareTo(b.CreatedTime),
                    "last_edited_time" => (a, b) => a.LastEditedTime.CompareTo(b.LastEditedTime),
                    _ => throw Err.Expected($"{p}.timestamp", "`\"created_time\"` or `\"last_edited_time\"`", sort["timestamp"]),
                };
            }
            else if (TryString(sort["property"], out var name))
            {
                var prop = FindProperty(db.Schema, name) ?? throw Err.Validation($"Could not find sort property with name or id: {name}");
                compare = (a, b) => CompareValues(ValueOf(a, prop), ValueOf(b, prop));
            }
            else
            {
                throw Err.Validation(FixOne(p, ["property", "timestamp"]));
            }

            comparisons.Add(direction == "descending" ? (a, b) => compare(b, a) : compare);
        }

        return (a, b) =>
        {
            foreach (var compare in comparisons)
            {
                var r = compare(a, b);
                if (r != 0)
                {
                    return r;
                }
            }

            return a.Seq.CompareTo(b.Seq);
        };
    }

    private static int CompareValues(JsonNode? a, JsonNode? b)
    {
        if (TryNumber(a, out var x) && TryNumber(b, out var y))
        {
            return x.CompareTo(y);
        }

        if (TryBool(a, out var p) && TryBool(b, out var q))
        {
            return p.CompareTo(q);
        }

        return string.Compare(SortText(a), SortText(b), StringComparison.OrdinalIgnoreCase);
    }

    private static string SortText(JsonNode? value) => value switch
    {
        JsonArray => PlainText(value),
        JsonObject o when TryString(o["name"], out var name) => name,
        JsonObject o when TryString(o["start"], out var start) => start,
        _ => TextOf(value),
    };
}
