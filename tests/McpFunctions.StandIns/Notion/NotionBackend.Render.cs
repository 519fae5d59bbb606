using System.Text;
using System.Text.Json.Nodes;
using static McpFunctions.StandIns.Notion.NotionJson;

namespace McpFunctions.StandIns.Notion;

/// <summary>Renders stored state as the objects Notion's API returns (page, database, block, user, comment).</summary>
internal sealed partial class NotionBackend
{
    private static JsonObject RenderUser(UserRecord user)
    {
        var o = new JsonObject
        {
            ["object"] = "user",
            ["id"] = Id(user.Id),
            ["name"] = user.Name,
            ["avatar_url"] = null,
            ["type"] = user.IsBot ? "bot" : "person",
        };
        if (user.IsBot)
        {
            o["bot"] = new JsonObject
            {
                ["owner"] = new JsonObject { ["type"] = "workspace", ["workspace"] = true },
                ["workspace_name"] = user.Workspace.Name,
            };
        }
        else
        {
            o["person"] = new JsonObject { ["email"] = user.Email };
        }

        return o;
    }

    private static IReadOnlyList<SchemaProperty> SchemaOf(Workspace ws, Node page) =>
        page.Parent.Type == "database_id" && page.Parent.Id is { } dbId && ws.Nodes.TryGetValue(dbId, out var db)
            ? db.Schema
            : PageSchema;

    private static JsonArray PageTitle(Node page) =>
        page.PropertyValues.TryGetValue("title", out var title) && title is JsonArray array ? array : [];

    private static string Url(string title, Guid id)
    {
        var slug = new StringBuilder();
        foreach (var ch in title)
        {
            if (char.IsLetterOrDigit(ch))
            {
                slug.Append(ch);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        var s = slug.ToString().Trim('-');
        var n = id.ToString("N");
        return "https://www.notion.so/" + (s.Length > 0 ? s + "-" + n : n);
    }

    private static JsonObject RenderPage(Workspace ws, Node page)
    {
        var properties = new JsonObject();
        foreach (var prop in SchemaOf(ws, page))
        {
            var value = new JsonObject { ["id"] = prop.Id, ["type"] = prop.Type, [prop.Type] = ValueOf(page, prop)?.DeepClone() };
            if (prop.Type == "relation")
            {
                value["has_more"] = false;
            }

            properties[prop.Name] = value;
        }

        return new JsonObject
        {
            ["object"] = "page",
            ["id"] = Id(page.Id),
            ["created_time"] = Timestamp(page.CreatedTime),
            ["last_edited_time"] = Timestamp(page.LastEditedTime),
            ["created_by"] = UserRef(page.CreatedBy),
            ["last_edited_by"] = UserRef(page.LastEditedBy),
            ["cover"] = page.Cover?.DeepClone(),
            ["icon"] = page.Icon?.DeepClone(),
            ["parent"] = page.Parent.ToJson(),
            ["archived"] = page.Archived,
            ["in_trash"] = page.Archived,
            ["properties"] = properties,
            ["url"] = Url(PlainText(PageTitle(page)), page.Id),
            ["public_url"] = null,
        };
    }

    /// <summary>A page's value for one property: what was set, or the empty value Notion shows for that type.</summary>
    private static JsonNode? ValueOf(Node page, SchemaProperty prop)
    {
        switch (prop.Type)
        {
            case "created_time": return Timestamp(page.CreatedTime);
            case "last_edited_time": return Timestamp(page.LastEditedTime);
            case "created_by": return UserRef(page.CreatedBy);
            case "last_edited_by": return UserRef(page.LastEditedBy);
            case "unique_id": return new JsonObject { ["prefix"] = null, ["number"] = page.Seq };
            case "formula": return new JsonObject { ["type"] = "string", ["string"] = null };
            case "rollup": return new JsonObject { ["type"] = "array", ["array"] = new JsonArray(), ["function"] = "show_original" };
        }

        if (page.PropertyValues.TryGetValue(prop.Id, out var value))
        {
            return value;
        }

        return prop.Type switch
        {
            "title" or "rich_text" or "multi_select" or "people" or "files" or "relation" => new JsonArray(),
            "checkbox" => false,
            _ => null,
        };
    }

    private static JsonObject RenderDatabase(Node db)
    {
        var properties = new JsonObject();
        foreach (var prop in db.Schema)
        {
            properties[prop.Name] = new JsonObject
            {
                ["id"] = prop.Id,
                ["name"] = prop.Name,
                ["type"] = prop.Type,
                [prop.Type] = prop.Config.DeepClone(),
            };
        }

        return new JsonObject
        {
            ["object"] = "database",
            ["id"] = Id(db.Id),
            ["cover"] = db.Cover?.DeepClone(),
            ["icon"] = db.Icon?.DeepClone(),
            ["created_time"] = Timestamp(db.CreatedTime),
            ["created_by"] = UserRef(db.CreatedBy),
            ["last_edited_by"] = UserRef(db.LastEditedBy),
            ["last_edited_time"] = Timestamp(db.LastEditedTime),
            ["title"] = db.Title.DeepClone(),
            ["description"] = db.Description.DeepClone(),
            ["is_inline"] = db.IsInline,
            ["properties"] = properties,
            ["parent"] = db.Parent.ToJson(),
            ["url"] = Url("", db.Id),
            ["public_url"] = null,
            ["archived"] = db.Archived,
            ["in_trash"] = db.Archived,
        };
    }

    private static bool HasChildren(Workspace ws, Node node) =>
        node.Kind != NodeKind.Database && node.Children.Exists(id => !ws.Nodes[id].Archived);

    private static JsonObject RenderBlock(Workspace ws, Node node)
    {
        var (type, content) = node.Kind switch
        {
            NodeKind.Page => ("child_page", new JsonObject { ["title"] = PlainText(PageTitle(node)) }),
            NodeKind.Database => ("child_database", new JsonObject { ["title"] = PlainText(node.Title) }),
            _ => (node.BlockType, (JsonObject)node.BlockContent.DeepClone()),
        };
        return new JsonObject
        {
            ["object"] = "block",
            ["id"] = Id(node.Id),
            ["parent"] = node.Parent.ToJson(),
            ["created_time"] = Timestamp(node.CreatedTime),
            ["last_edited_time"] = Timestamp(node.LastEditedTime),
            ["created_by"] = UserRef(node.CreatedBy),
            ["last_edited_by"] = UserRef(node.LastEditedBy),
            ["has_children"] = HasChildren(ws, node),
            ["archived"] = node.Archived,
            ["in_trash"] = node.Archived,
            ["type"] = type,
            [type] = content,
        };
    }

    private static JsonObject RenderComment(CommentRecord comment) => new()
    {
        ["object"] = "comment",
        ["id"] = Id(comment.Id),
        ["parent"] = comment.Parent.ToJson(),
        ["discussion_id"] = Id(comment.DiscussionId),
        ["created_time"] = Timestamp(comment.CreatedTime),
        ["last_edited_time"] = Timestamp(comment.CreatedTime),
        ["created_by"] = UserRef(comment.CreatedBy),
        ["rich_text"] = comment.RichText.DeepClone(),
    };
}
