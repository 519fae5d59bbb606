using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace McpFunctions.StandIns.Notion;

/// <summary>Reflection-free JSON helpers that build Notion-shaped objects with <see cref="JsonNode"/>.</summary>
internal static class NotionJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Id(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    /// <summary>Notion renders timestamps as ISO 8601 rounded down to the minute, e.g. <c>2022-10-24T22:54:00.000Z</c>.</summary>
    public static string Timestamp(DateTimeOffset time)
    {
        var u = time.UtcDateTime;
        var minute = new DateTime(u.Year, u.Month, u.Day, u.Hour, u.Minute, 0, DateTimeKind.Utc);
        return minute.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    public static byte[] ToUtf8(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string Serialize(JsonNode? node)
    {
        if (node is null)
        {
            return "null";
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            node.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static JsonObject Error(int status, string code, string message) => new()
    {
        ["object"] = "error",
        ["status"] = status,
        ["code"] = code,
        ["message"] = message,
        ["request_id"] = Id(Guid.NewGuid()),
    };

    public static JsonObject UserRef(Guid id) => new() { ["object"] = "user", ["id"] = Id(id) };

    public static JsonObject DefaultAnnotations() => new()
    {
        ["bold"] = false,
        ["italic"] = false,
        ["strikethrough"] = false,
        ["underline"] = false,
        ["code"] = false,
        ["color"] = "default",
    };

    public static JsonObject TextItem(string content) => new()
    {
        ["type"] = "text",
        ["text"] = new JsonObject { ["content"] = content, ["link"] = null },
        ["annotations"] = DefaultAnnotations(),
        ["plain_text"] = content,
        ["href"] = null,
    };

    public static JsonArray RichText(string text)
    {
        var array = new JsonArray();
        if (text.Length > 0)
        {
            array.Add(TextItem(text));
        }

        return array;
    }

    public static string PlainText(JsonNode? richText)
    {
        if (richText is not JsonArray array)
        {
            return "";
        }

        var sb = new System.Text.StringBuilder();
        foreach (var item in array)
        {
            if (item is JsonObject o && TryString(o["plain_text"], out var s))
            {
                sb.Append(s);
            }
        }

        return sb.ToString();
    }

    public static bool TryString(JsonNode? node, out string value)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            value = v.GetValue<string>();
            return true;
        }

        value = "";
        return false;
    }

    public static bool TryBool(JsonNode? node, out bool value)
    {
        var kind = node?.GetValueKind();
        if (kind is JsonValueKind.True or JsonValueKind.False)
        {
            value = kind == JsonValueKind.True;
            return true;
        }

        value = false;
        return false;
    }

    public static bool TryNumber(JsonNode? node, out double value)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d))
        {
            value = d;
            return true;
        }

        value = 0;
        return false;
    }

    public static JsonArray EmptyArray() => [];

    /// <summary>
    /// Normalizes a request rich text array (<c>[{"text":{"content":"x"}}]</c>) into the response form Notion returns:
    /// <c>type</c>, <c>text.link</c>, full <c>annotations</c>, <c>plain_text</c> and <c>href</c>.
    /// </summary>
    public static JsonArray NormalizeRichText(JsonNode? input, string path)
    {
        if (input is not JsonArray items)
        {
            throw NotionApiException.Expected(path, "an array", input);
        }

        var result = new JsonArray();
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            if (items[i] is not JsonObject item)
            {
                throw NotionApiException.Expected(itemPath, "an object", items[i]);
            }

            var type = TryString(item["type"], out var t) ? t
                : item.ContainsKey("text") ? "text"
                : item.ContainsKey("mention") ? "mention"
                : item.ContainsKey("equation") ? "equation"
                : null;
            var annotations = DefaultAnnotations();
            if (item["annotations"] is JsonObject given)
            {
                foreach (var (key, value) in given)
                {
                    if (annotations.ContainsKey(key))
                    {
                        annotations[key] = value?.DeepClone();
                    }
                }
            }

            switch (type)
            {
                case "text":
                {
                    if (item["text"] is not JsonObject text)
                    {
                        throw NotionApiException.Expected($"{itemPath}.text", "an object", item["text"], item.ContainsKey("text"));
                    }

                    if (!TryString(text["content"], out var content))
                    {
                        throw NotionApiException.Expected($"{itemPath}.text.content", "a string", text["content"], text.ContainsKey("content"));
                    }

                    if (content.Length > 2000)
                    {
                        throw NotionApiException.Validation(
                            $"{path.Split('.')[0]} failed validation: {itemPath}.text.content.length should be ≤ `2000`, instead was `{content.Length}`.");
                    }

                    JsonNode? link = null;
                    string? href = null;
                    if (text["link"] is JsonObject linkObject)
                    {
                        if (!TryString(linkObject["url"], out var url))
                        {
                            throw NotionApiException.Expected($"{itemPath}.text.link.url", "a string", linkObject["url"], linkObject.ContainsKey("url"));
                        }

                        link = new JsonObject { ["url"] = url };
                        href = url;
                    }

                    result.Add(new JsonObject
                    {
                        ["type"] = "text",
                        ["text"] = new JsonObject { ["content"] = content, ["link"] = link },
                        ["annotations"] = annotations,
                        ["plain_text"] = content,
                        ["href"] = href,
                    });
                    break;
                }

                case "equation":
                {
                    if (item["equation"] is not JsonObject eq || !TryString(eq["expression"], out var expression))
                    {
                        throw NotionApiException.Missing($"{itemPath}.equation.expression");
                    }

                    result.Add(new JsonObject
                    {
                        ["type"] = "equation",
                        ["equation"] = new JsonObject { ["expression"] = expression },
                        ["annotations"] = annotations,
                        ["plain_text"] = expression,
                        ["href"] = null,
                    });
                    break;
                }

                case "mention":
                {
                    if (item["mention"] is not JsonObject mention)
                    {
                        throw NotionApiException.Expected($"{itemPath}.mention", "an object", item["mention"], item.ContainsKey("mention"));
                    }

                    result.Add(new JsonObject
                    {
                        ["type"] = "mention",
                        ["mention"] = mention.DeepClone(),
                        ["annotations"] = annotations,
                        ["plain_text"] = TryString(item["plain_text"], out var plain) ? plain : "",
                        ["href"] = null,
                    });
                    break;
                }

                default:
                    throw NotionApiException.Validation(
                        $"{path.Split('.')[0]} failed validation. Fix one: {itemPath}.text should be defined, instead was `undefined`. "
                        + $"{itemPath}.mention should be defined, instead was `undefined`. {itemPath}.equation should be defined, instead was `undefined`.");
            }
        }

        return result;
    }

    /// <summary>A list response: <c>{"object":"list","results":[…],"next_cursor":…,"has_more":…,"type":T,T:{}}</c>.</summary>
    public static JsonObject List(JsonArray results, string? nextCursor, string type) => new()
    {
        ["object"] = "list",
        ["results"] = results,
        ["next_cursor"] = nextCursor,
        ["has_more"] = nextCursor is not null,
        ["type"] = type,
        [type] = new JsonObject(),
    };
}
