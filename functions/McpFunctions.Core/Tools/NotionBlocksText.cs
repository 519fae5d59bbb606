using System.Text;
using System.Text.Json;
using McpFunctions.Core.Providers;

namespace McpFunctions.Core.Tools;

/// <summary>The <c>notion_blocks_text</c> output: a list of Notion blocks as readable, Markdown-like text.</summary>
internal static class NotionBlocksText
{
    /// <summary>The shape of this output's <c>structuredContent</c>, served as the tool's <c>outputSchema</c> (JSON Schema 2020-12).</summary>
    public static readonly JsonElement OutputSchema = JsonDocument.Parse("""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "properties": {
            "results": { "type": "array", "description": "The blocks as Notion returned them, children folded in where expanded." },
            "block_count": { "type": "integer", "minimum": 0 },
            "has_more": { "type": "boolean", "description": "Present, and true, when more blocks exist than were read." },
            "next_cursor": { "type": "string", "description": "Where the next page of blocks starts, when has_more." }
          },
          "required": ["results", "block_count"],
          "additionalProperties": false
        }
        """).RootElement.Clone();

    public static ShapedResponse Shape(JsonElement root, ToolRequest request)
    {
        var paging = request.Paginate;
        var childrenField = request.ExpandChildren?.Into;
        var itemsField = paging?.ItemsField ?? "results";
        var hasMoreField = paging?.HasMoreField ?? "has_more";
        var nextCursorField = paging?.NextCursorField ?? "next_cursor";

        var blocks = root.ValueKind switch
        {
            JsonValueKind.Object when root.TryGetProperty(itemsField, out var items) && items.ValueKind == JsonValueKind.Array => items.EnumerateArray().ToList(),
            JsonValueKind.Array => root.EnumerateArray().ToList(),
            _ => [root],
        };
        var hasMore = root.ValueKind == JsonValueKind.Object && root.TryGetProperty(hasMoreField, out var more) && more.ValueKind == JsonValueKind.True;

        var text = new StringBuilder();
        AppendBlocks(text, blocks, childrenField, indent: "");

        if (hasMore)
        {
            text.Append($"\n…(more blocks exist; only the first {blocks.Count} were read)");
        }

        var structured = ToolResponseShaper.Build(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("results");
            foreach (var block in blocks)
            {
                block.WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteNumber("block_count", blocks.Count);
            if (hasMore)
            {
                writer.WriteBoolean("has_more", true);
                if (root.TryGetProperty(nextCursorField, out var cursor) && cursor.ValueKind == JsonValueKind.String)
                {
                    writer.WriteString("next_cursor", cursor.GetString());
                }
            }

            writer.WriteEndObject();
        });

        return new ShapedResponse(structured, ToolResponseShaper.Cap(text.ToString()));
    }

    /// <summary>One line per block; children fetched into a block (at <c>expandChildren.into</c>, see <see cref="ChildExpander"/>) follow it,
    /// indented, as nested Markdown lists are.</summary>
    private static void AppendBlocks(StringBuilder text, IEnumerable<JsonElement> blocks, string? childrenField, string indent)
    {
        var number = 0;
        foreach (var block in blocks)
        {
            if (text.Length > ToolResponseShaper.MaxTextLength)
            {
                return;
            }

            var type = Str(block, "type") ?? "unknown";
            number = type == "numbered_list_item" ? number + 1 : 0;
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            var children = childrenField is null ? default : Property(block, childrenField);
            text.Append(indent).Append(Line(block, type, number, childrenFetched: children.ValueKind == JsonValueKind.Array).ReplaceLineEndings("\n" + indent));
            if (children.ValueKind == JsonValueKind.Array)
            {
                AppendBlocks(text, children.EnumerateArray(), childrenField, indent + "  ");
            }
        }
    }

    private static string Line(JsonElement block, string type, int number, bool childrenFetched)
    {
        var content = block.ValueKind == JsonValueKind.Object && block.TryGetProperty(type, out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var text = RichText(content, "rich_text");
        var line = type switch
        {
            "paragraph" => text,
            "heading_1" => "# " + text,
            "heading_2" => "## " + text,
            "heading_3" => "### " + text,
            "bulleted_list_item" => "- " + text,
            "numbered_list_item" => $"{number}. {text}",
            "to_do" => (Property(content, "checked").ValueKind == JsonValueKind.True ? "[x] " : "[ ] ") + text,
            "quote" => "> " + text.ReplaceLineEndings("\n> "),
            "callout" => "> " + Prefixed(Str(Property(content, "icon"), "emoji"), text).ReplaceLineEndings("\n> "),
            "toggle" => "▸ " + text,
            "code" => $"```{Str(content, "language")}\n{text}\n```",
            "equation" => $"$$ {Str(content, "expression")} $$",
            "divider" => "---",
            "child_page" => Titled("[page]", Str(content, "title"), Str(block, "id")),
            "child_database" => Titled("[database]", Str(content, "title"), Str(block, "id")),
            "bookmark" or "embed" or "link_preview" => Prefixed($"[{(type == "link_preview" ? "link" : type)}] {Str(content, "url")}", Caption(content)),
            "link_to_page" => $"[link to page] {Str(content, "page_id") ?? Str(content, "database_id")}",
            "image" or "video" or "audio" or "file" or "pdf" => Prefixed($"[{type}]", Caption(content) is { Length: > 0 } caption ? caption : Str(content, "name")),
            "table_row" => "| " + string.Join(" | ", Cells(content)) + " |",
            _ => $"[{type}]",
        };

        var nested = !childrenFetched
            && block.ValueKind == JsonValueKind.Object && block.TryGetProperty("has_children", out var h) && h.ValueKind == JsonValueKind.True
            && type is not ("child_page" or "child_database");
        return nested ? $"{line} (nested content not shown: block {Str(block, "id")})" : line;
    }

    private static string RichText(JsonElement content, string field)
    {
        var items = Property(content, field);
        if (items.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (var item in items.EnumerateArray())
        {
            text.Append(Str(item, "plain_text") ?? Str(Property(item, "text"), "content"));
        }

        return text.ToString();
    }

    private static string Caption(JsonElement content) => RichText(content, "caption");

    private static IEnumerable<string> Cells(JsonElement content)
    {
        var cells = Property(content, "cells");
        if (cells.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var cell in cells.EnumerateArray())
        {
            var text = new StringBuilder();
            if (cell.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in cell.EnumerateArray())
                {
                    text.Append(Str(item, "plain_text"));
                }
            }

            yield return text.ToString();
        }
    }

    private static string Titled(string kind, string? title, string? id) =>
        id is null ? Prefixed(kind, title) : $"{Prefixed(kind, title)} ({id})";

    private static string Prefixed(string? prefix, string? text) =>
        string.IsNullOrEmpty(prefix) ? text ?? string.Empty
        : string.IsNullOrEmpty(text) ? prefix
        : $"{prefix} {text}";

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private static string? Str(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
}
