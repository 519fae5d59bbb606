using System.Text.Json.Nodes;
using static McpFunctions.StandIns.Notion.NotionJson;
using Err = McpFunctions.StandIns.Notion.NotionApiException;

namespace McpFunctions.StandIns.Notion;

/// <summary>Blocks (pages are blocks too), search, users and comments.</summary>
internal sealed partial class NotionBackend
{
    private static JsonObject UpdateBlock(Ctx c, Guid id, JsonObject body)
    {
        var node = FindBlock(c.Ws, id);
        var newArchived = ArchivedFlag(body);
        var contentKey = AllBlockTypes.Append("child_page").Append("child_database").FirstOrDefault(body.ContainsKey);
        GuardArchived(node, newArchived, contentKey is not null);

        Action? apply = null;
        if (contentKey is not null)
        {
            var ownType = node.Kind switch
            {
                NodeKind.Page => "child_page",
                NodeKind.Database => "child_database",
                _ => node.BlockType,
            };
            if (contentKey != ownType)
            {
                throw Err.Validation(
                    $"body failed validation: body.{contentKey} should be not present, instead was `{Serialize(body[contentKey])}`. The block is of type {ownType}.");
            }

            if (body[contentKey] is not JsonObject content)
            {
                throw Err.Expected($"body.{contentKey}", "an object", body[contentKey]);
            }

            if (node.Kind == NodeKind.Block)
            {
                var normalized = NormalizeBlockContent(node.BlockType, content, $"body.{contentKey}", node.BlockContent);
                apply = () => node.BlockContent = normalized;
            }
            else if (content.ContainsKey("title"))
            {
                if (!TryString(content["title"], out var title))
                {
                    throw Err.Expected($"body.{contentKey}.title", "a string", content["title"]);
                }

                apply = node.Kind == NodeKind.Page
                    ? () => node.PropertyValues["title"] = RichText(title)
                    : () => node.Title = RichText(title);
            }
        }

        apply?.Invoke();
        if (newArchived is { } archived)
        {
            node.Archived = archived;
        }

        Touch(node, c.Who);
        return RenderBlock(c.Ws, node);
    }

    private static JsonObject DeleteBlock(Ctx c, Guid id)
    {
        var node = FindBlock(c.Ws, id);
        if (node.Archived)
        {
            throw Err.ArchivedEdit();
        }

        node.Archived = true;
        Touch(node, c.Who);
        return RenderBlock(c.Ws, node);
    }

    private static JsonObject ListChildren(Ctx c, Guid id, Microsoft.AspNetCore.Http.IQueryCollection query)
    {
        var node = FindBlock(c.Ws, id);
        var paging = PagingFromQuery(query);
        var items = node.Kind == NodeKind.Database
            ? []
            : node.Children.Select(x => c.Ws.Nodes[x]).Where(x => !x.Archived).ToList();
        return Paginate(items, x => x.Id, x => RenderBlock(c.Ws, x), paging, "block", "query.start_cursor");
    }

    private JsonObject AppendChildren(Ctx c, Guid id, JsonObject body)
    {
        var parent = FindBlock(c.Ws, id);
        var parentType = parent.Kind switch
        {
            NodeKind.Page => "child_page",
            NodeKind.Database => "child_database",
            _ => parent.BlockType,
        };
        if (!ChildBearingTypes.Contains(parentType))
        {
            throw Err.Validation($"Block type {parentType} does not support children.");
        }

        if (parent.Archived)
        {
            throw Err.ArchivedEdit();
        }

        if (!body.ContainsKey("children"))
        {
            throw Err.Missing("body.children");
        }

        var specs = ParseBlockSpecs(body["children"], "body.children", 1);
        var insertAt = parent.Children.Count;
        if (body.ContainsKey("after"))
        {
            var after = ParseBodyId(body["after"], "body.after");
            var index = parent.Children.IndexOf(after);
            if (index < 0)
            {
                throw Err.Expected("body.after", $"the id of a child of block {Id(parent.Id)}", body["after"]);
            }

            insertAt = index + 1;
        }

        var created = CreateBlockTree(c, parent, specs, insertAt);
        Touch(parent, c.Who);
        var results = new JsonArray();
        foreach (var block in created)
        {
            results.Add(RenderBlock(c.Ws, block));
        }

        return List(results, null, "block");
    }

    private List<Node> CreateBlockTree(Ctx c, Node parent, List<BlockSpec> specs, int insertAt)
    {
        var parentRef = BlockParentRef(parent);
        var created = new List<Node>(specs.Count);
        foreach (var spec in specs)
        {
            var block = NewNode(c.Ws, NodeKind.Block, parentRef, c.Who);
            block.BlockType = spec.Type;
            block.BlockContent = spec.Content;
            parent.Children.Insert(insertAt++, block.Id);
            CreateBlockTree(c, block, spec.Children, 0);
            created.Add(block);
        }

        return created;
    }

    /// <summary>Validates a children array completely before anything is created (Notion rejects the whole request).</summary>
    private static List<BlockSpec> ParseBlockSpecs(JsonNode? node, string path, int level)
    {
        if (node is not JsonArray items)
        {
            throw Err.Expected(path, "an array", node);
        }

        if (items.Count > 100)
        {
            throw Err.Validation($"{path.Split('.')[0]} failed validation: {path}.length should be ≤ `100`, instead was `{items.Count}`.");
        }

        var specs = new List<BlockSpec>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            if (items[i] is not JsonObject item)
            {
                throw Err.Expected(itemPath, "an object", items[i]);
            }

            string? type;
            if (TryString(item["type"], out var declared))
            {
                if (!AllBlockTypes.Contains(declared))
                {
                    throw Err.Validation(FixOne(itemPath, AllBlockTypes));
                }

                type = declared;
            }
            else
            {
                type = AllBlockTypes.FirstOrDefault(item.ContainsKey) ?? throw Err.Validation(FixOne(itemPath, AllBlockTypes));
            }

            if (item[type] is not JsonObject content)
            {
                throw Err.Expected($"{itemPath}.{type}", "an object", item[type], item.ContainsKey(type));
            }

            var normalized = NormalizeBlockContent(type, content, $"{itemPath}.{type}", null);
            var children = new List<BlockSpec>();
            if (content["children"] is { } nested)
            {
                if (!ChildBearingTypes.Contains(type))
                {
                    throw Err.Validation($"Block type {type} does not support children.");
                }

                if (level >= 3)
                {
                    throw Err.Validation(
                        $"{path.Split('.')[0]} failed validation: {itemPath}.{type}.children should be not present, instead was `{Serialize(nested)}`. "
                        + "At most two levels of nesting are allowed in one request.");
                }

                children = ParseBlockSpecs(nested, $"{itemPath}.{type}.children", level + 1);
            }

            specs.Add(new BlockSpec(type, normalized, children));
        }

        return specs;
    }

    /// <summary>Builds a block's type object (<c>paragraph: {rich_text, color}</c> …) from a request, merged over <paramref name="existing"/> on update.</summary>
    private static JsonObject NormalizeBlockContent(string type, JsonObject input, string path, JsonObject? existing)
    {
        var result = existing is null ? new JsonObject() : (JsonObject)existing.DeepClone();
        foreach (var (key, value) in input)
        {
            if (key != "children")
            {
                result[key] = value?.DeepClone();
            }
        }

        if (TextBlockTypes.Contains(type))
        {
            if (input.ContainsKey("rich_text"))
            {
                result["rich_text"] = NormalizeRichText(input["rich_text"], $"{path}.rich_text");
            }
            else if (existing is null)
            {
                throw Err.Missing($"{path}.rich_text");
            }

            result["color"] ??= "default";
        }

        switch (type)
        {
            case "heading_1":
            case "heading_2":
            case "heading_3":
                RequireBoolOrDefault(result, "is_toggleable", path);
                break;

            case "to_do":
                RequireBoolOrDefault(result, "checked", path);
                break;

            case "code":
                if (result["language"] is null)
                {
                    result["language"] = "plain text";
                }
                else if (!TryString(result["language"], out _))
                {
                    throw Err.Expected($"{path}.language", "a string", result["language"]);
                }

                NormalizeCaption(input, result, path, existing);
                break;

            case "callout":
                result["icon"] ??= null;
                break;

            case "bookmark":
            case "embed":
                if (!TryString(result["url"], out _))
                {
                    throw Err.Expected($"{path}.url", "a string", result["url"], result.ContainsKey("url"));
                }

                NormalizeCaption(input, result, path, existing);
                break;

            case "image":
            case "video":
            case "file":
            case "pdf":
            case "audio":
                if (result["external"] is JsonObject external)
                {
                    if (!TryString(external["url"], out _))
                    {
                        throw Err.Expected($"{path}.external.url", "a string", external["url"], external.ContainsKey("url"));
                    }

                    result["type"] = "external";
                }
                else if (result["file"] is JsonObject)
                {
                    result["type"] = "file";
                }
                else
                {
                    throw Err.Missing($"{path}.external");
                }

                NormalizeCaption(input, result, path, existing);
                break;

            case "equation":
                if (!TryString(result["expression"], out _))
                {
                    throw Err.Expected($"{path}.expression", "a string", result["expression"], result.ContainsKey("expression"));
                }

                break;

            case "table_of_contents":
                result["color"] ??= "default";
                break;
        }

        return result;
    }

    private static void RequireBoolOrDefault(JsonObject result, string key, string path)
    {
        if (result[key] is null)
        {
            result[key] = false;
        }
        else if (!TryBool(result[key], out _))
        {
            throw Err.Expected($"{path}.{key}", "a boolean", result[key]);
        }
    }

    private static void NormalizeCaption(JsonObject input, JsonObject result, string path, JsonObject? existing)
    {
        if (input.ContainsKey("caption"))
        {
            result["caption"] = NormalizeRichText(input["caption"], $"{path}.caption");
        }
        else if (existing is null)
        {
            result["caption"] = new JsonArray();
        }
    }

    // ---------------------------------------------------------------- search

    private static string TitleOf(Node node) =>
        node.Kind == NodeKind.Database ? PlainText(node.Title) : PlainText(PageTitle(node));

    private static JsonObject Search(Ctx c, JsonObject body)
    {
        var query = "";
        if (body["query"] is { } q && !TryString(q, out query))
        {
            throw Err.Expected("body.query", "a string", q);
        }

        string? objectFilter = null;
        if (body["filter"] is { } f)
        {
            if (f is not JsonObject filter)
            {
                throw Err.Expected("body.filter", "an object", f);
            }

            if (!TryString(filter["property"], out var property) || property != "object")
            {
                throw Err.Expected("body.filter.property", "`\"object\"`", filter["property"], filter.ContainsKey("property"));
            }

            if (!TryString(filter["value"], out var value) || value is not ("page" or "database"))
            {
                throw Err.Expected("body.filter.value", "`\"page\"` or `\"database\"`", filter["value"], filter.ContainsKey("value"));
            }

            objectFilter = value;
        }

        var descending = true;
        if (body["sort"] is { } s)
        {
            if (s is not JsonObject sort)
            {
                throw Err.Expected("body.sort", "an object", s);
            }

            if (!TryString(sort["timestamp"], out var timestamp) || timestamp != "last_edited_time")
            {
                throw Err.Expected("body.sort.timestamp", "`\"last_edited_time\"`", sort["timestamp"], sort.ContainsKey("timestamp"));
            }

            if (sort.ContainsKey("direction"))
            {
                if (!TryString(sort["direction"], out var direction) || direction is not ("ascending" or "descending"))
                {
                    throw Err.Expected("body.sort.direction", "`\"ascending\"` or `\"descending\"`", sort["direction"]);
                }

                descending = direction == "descending";
            }
        }

        var paging = PagingFromBody(body);
        var items = c.Ws.Nodes.Values
            .Where(n => n.Kind is NodeKind.Page or NodeKind.Database && !n.Archived)
            .Where(n => objectFilter is null || (objectFilter == "page") == (n.Kind == NodeKind.Page))
            .Where(n => query.Length == 0 || TitleOf(n).Contains(query.Trim(), StringComparison.OrdinalIgnoreCase))
            .ToList();
        items.Sort((a, b) =>
        {
            var r = a.LastEditedTime.CompareTo(b.LastEditedTime);
            r = r != 0 ? r : a.Seq.CompareTo(b.Seq);
            return descending ? -r : r;
        });
        return Paginate(
            items,
            n => n.Id,
            n => n.Kind == NodeKind.Page ? RenderPage(c.Ws, n) : RenderDatabase(n),
            paging,
            "page_or_database",
            "body.start_cursor");
    }

    // ---------------------------------------------------------------- users

    private static JsonObject GetUser(Ctx c, Guid id) =>
        RenderUser(c.Ws.Users.Find(u => u.Id == id) ?? throw Err.NotFound("user", id));

    // ---------------------------------------------------------------- comments

    private static JsonObject CreateComment(Ctx c, JsonObject body)
    {
        var hasParent = body["parent"] is not null;
        var hasDiscussion = body["discussion_id"] is not null;
        if (hasParent == hasDiscussion)
        {
            throw Err.Validation(hasParent
                ? "body failed validation: body should have only one of `parent` or `discussion_id`, instead had both."
                : FixOne("body", ["parent", "discussion_id"]));
        }

        if (!body.ContainsKey("rich_text"))
        {
            throw Err.Missing("body.rich_text");
        }

        var richText = NormalizeRichText(body["rich_text"], "body.rich_text");
        ParentRef parent;
        Guid discussionId;
        if (hasParent)
        {
            if (body["parent"] is not JsonObject parentObject)
            {
                throw Err.Expected("body.parent", "an object", body["parent"]);
            }

            if (parentObject.ContainsKey("page_id"))
            {
                var page = FindPage(c.Ws, ParseBodyId(parentObject["page_id"], "body.parent.page_id"));
                parent = new ParentRef("page_id", page.Id);
            }
            else if (parentObject.ContainsKey("block_id"))
            {
                var block = FindBlock(c.Ws, ParseBodyId(parentObject["block_id"], "body.parent.block_id"));
                parent = new ParentRef("block_id", block.Id);
            }
            else
            {
                throw Err.Validation(FixOne("body.parent", ["page_id", "block_id"]));
            }

            discussionId = Guid.NewGuid();
        }
        else
        {
            discussionId = ParseBodyId(body["discussion_id"], "body.discussion_id");
            var thread = c.Ws.Comments.Find(x => x.DiscussionId == discussionId) ?? throw Err.NotFound("discussion", discussionId);
            parent = thread.Parent;
        }

        var comment = new CommentRecord
        {
            Id = Guid.NewGuid(),
            Parent = parent,
            DiscussionId = discussionId,
            CreatedTime = DateTimeOffset.UtcNow,
            CreatedBy = c.Who.Bot.Id,
            RichText = richText,
        };
        c.Ws.Comments.Add(comment);
        return RenderComment(comment);
    }

    private static JsonObject ListComments(Ctx c, Microsoft.AspNetCore.Http.IQueryCollection query)
    {
        if (!query.TryGetValue("block_id", out var raw) || string.IsNullOrEmpty(raw.ToString()))
        {
            throw Err.Missing("query.block_id");
        }

        var id = TryParseId(raw.ToString(), out var g) ? g : throw Err.Expected("query.block_id", "a valid uuid", JsonValue.Create(raw.ToString()));
        var block = FindBlock(c.Ws, id);
        var paging = PagingFromQuery(query);
        var items = c.Ws.Comments.Where(x => x.Parent.Id == block.Id).ToList();
        return Paginate(items, x => x.Id, x => RenderComment(x), paging, "comment", "query.start_cursor");
    }
}
