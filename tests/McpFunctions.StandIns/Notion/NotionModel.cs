using System.Text.Json.Nodes;

namespace McpFunctions.StandIns.Notion;

internal enum NodeKind
{
    Page,
    Database,
    Block,
}

/// <summary>A parent reference as Notion renders it: <c>page_id</c>, <c>database_id</c>, <c>block_id</c> or <c>workspace</c>.</summary>
internal readonly record struct ParentRef(string Type, Guid? Id)
{
    public static ParentRef Workspace => new("workspace", null);

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["type"] = Type };
        if (Id is { } id)
        {
            o[Type] = NotionJson.Id(id);
        }
        else
        {
            o[Type] = true;
        }

        return o;
    }
}

/// <summary>One database property definition (schema entry).</summary>
internal sealed class SchemaProperty
{
    public required string Id { get; init; }

    public required string Name { get; set; }

    public required string Type { get; set; }

    public JsonObject Config { get; set; } = [];
}

/// <summary>Pages, databases and blocks share one id space, as in Notion (a page is also a block).</summary>
internal sealed class Node
{
    public required Guid Id { get; init; }

    public required NodeKind Kind { get; init; }

    public required ParentRef Parent { get; init; }

    public required long Seq { get; init; }

    public DateTimeOffset CreatedTime { get; set; }

    public DateTimeOffset LastEditedTime { get; set; }

    public Guid CreatedBy { get; set; }

    public Guid LastEditedBy { get; set; }

    /// <summary>Notion's <c>archived</c> and <c>in_trash</c>: one flag, rendered under both names.</summary>
    public bool Archived { get; set; }

    /// <summary>Ordered children: blocks and child pages/databases for pages and blocks; rows for databases.</summary>
    public List<Guid> Children { get; } = [];

    public string BlockType { get; set; } = "";

    public JsonObject BlockContent { get; set; } = [];

    /// <summary>Page property values by property id (the inner value, e.g. the rich text array of a title).</summary>
    public Dictionary<string, JsonNode?> PropertyValues { get; } = new(StringComparer.Ordinal);

    public JsonNode? Icon { get; set; }

    public JsonNode? Cover { get; set; }

    public JsonArray Title { get; set; } = [];

    public JsonArray Description { get; set; } = [];

    public List<SchemaProperty> Schema { get; } = [];

    public bool IsInline { get; set; }
}

internal sealed class UserRecord
{
    public required Guid Id { get; init; }

    public required string Name { get; init; }

    public required bool IsBot { get; init; }

    public string? Email { get; init; }

    public required Workspace Workspace { get; init; }
}

internal sealed class CommentRecord
{
    public required Guid Id { get; init; }

    public required ParentRef Parent { get; init; }

    public required Guid DiscussionId { get; init; }

    public required DateTimeOffset CreatedTime { get; init; }

    public required Guid CreatedBy { get; init; }

    public required JsonArray RichText { get; init; }
}

internal sealed class Workspace
{
    public required Guid Id { get; init; }

    public required string Name { get; init; }

    public Dictionary<Guid, Node> Nodes { get; } = [];

    public List<UserRecord> Users { get; } = [];

    public List<CommentRecord> Comments { get; } = [];
}

internal sealed class Integration
{
    public required string Token { get; init; }

    public required Workspace Workspace { get; init; }

    public required UserRecord Bot { get; init; }

    public bool Revoked { get; set; }
}
