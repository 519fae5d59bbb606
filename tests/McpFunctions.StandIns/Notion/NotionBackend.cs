using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using static McpFunctions.StandIns.Notion.NotionJson;
using Err = McpFunctions.StandIns.Notion.NotionApiException;

namespace McpFunctions.StandIns.Notion;

/// <summary>
/// The in-memory Notion: workspaces, integrations, pages, databases, blocks, users and comments, and the
/// endpoint logic. Every public member takes one lock, so requests and seeding calls are serialized.
/// </summary>
internal sealed partial class NotionBackend
{
    private const string AlphaNumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private static readonly string[] TextBlockTypes =
    [
        "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item", "numbered_list_item",
        "quote", "toggle", "to_do", "callout", "code",
    ];

    private static readonly string[] OtherBlockTypes =
    [
        "divider", "table_of_contents", "breadcrumb", "bookmark", "embed", "image", "video", "file", "pdf", "audio", "equation",
    ];

    private static readonly string[] AllBlockTypes = [.. TextBlockTypes, .. OtherBlockTypes];

    private static readonly HashSet<string> ChildBearingTypes =
    [
        "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item", "numbered_list_item",
        "quote", "toggle", "to_do", "callout", "child_page",
    ];

    private static readonly string[] PropertyTypes =
    [
        "title", "rich_text", "number", "select", "multi_select", "status", "date", "people", "files", "checkbox",
        "url", "email", "phone_number", "formula", "relation", "rollup", "created_time", "created_by",
        "last_edited_time", "last_edited_by", "unique_id",
    ];

    private static readonly HashSet<string> ReadOnlyPropertyTypes =
    [
        "formula", "rollup", "created_time", "created_by", "last_edited_time", "last_edited_by", "unique_id",
    ];

    private static readonly SchemaProperty[] PageSchema = [new() { Id = "title", Name = "title", Type = "title" }];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Integration> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Workspace> _workspaces = new(StringComparer.Ordinal);
    private long _seq;

    private readonly record struct Ctx(Integration Who, Workspace Ws);

    private sealed record BlockSpec(string Type, JsonObject Content, List<BlockSpec> Children);

    // ---------------------------------------------------------------- seeding

    public string AddIntegration(string workspaceName, string botName)
    {
        lock (_gate)
        {
            if (!_workspaces.TryGetValue(workspaceName, out var ws))
            {
                ws = new Workspace { Id = Guid.NewGuid(), Name = workspaceName };
                _workspaces.Add(workspaceName, ws);
            }

            var bot = new UserRecord { Id = Guid.NewGuid(), Name = botName, IsBot = true, Workspace = ws };
            ws.Users.Add(bot);
            var token = "ntn_" + RandomNumberGenerator.GetString(AlphaNumeric, 46);
            _tokens.Add(token, new Integration { Token = token, Workspace = ws, Bot = bot });
            return token;
        }
    }

    public void RevokeToken(string token)
    {
        lock (_gate)
        {
            Seeder(token).Revoked = true;
        }
    }

    public Integration? Authenticate(string token)
    {
        lock (_gate)
        {
            return _tokens.TryGetValue(token, out var integration) && !integration.Revoked ? integration : null;
        }
    }

    public string AddPage(string token, string title, string? parentId)
    {
        lock (_gate)
        {
            var who = Seeder(token);
            var ws = who.Workspace;
            var parentRef = ParentRef.Workspace;
            Node? parent = null;
            if (parentId is not null)
            {
                parent = SeedNode(ws, parentId, nameof(parentId));
                parentRef = parent.Kind switch
                {
                    NodeKind.Database => new ParentRef("database_id", parent.Id),
                    NodeKind.Page => new ParentRef("page_id", parent.Id),
                    _ => new ParentRef("block_id", parent.Id),
                };
            }

            var page = NewNode(ws, NodeKind.Page, parentRef, who);
            page.PropertyValues["title"] = RichText(title);
            parent?.Children.Add(page.Id);
            return Id(page.Id);
        }
    }

    public string AddDatabase(string token, string title, string? parentPageId)
    {
        lock (_gate)
        {
            var who = Seeder(token);
            var ws = who.Workspace;
            var parentRef = ParentRef.Workspace;
            Node? parent = null;
            if (parentPageId is not null)
            {
                parent = SeedNode(ws, parentPageId, nameof(parentPageId));
                if (parent.Kind != NodeKind.Page)
                {
                    throw new ArgumentException("A database's parent must be a page.", nameof(parentPageId));
                }

                parentRef = new ParentRef("page_id", parent.Id);
            }

            var db = NewNode(ws, NodeKind.Database, parentRef, who);
            db.Title = RichText(title);
            db.Schema.Add(new SchemaProperty { Id = "title", Name = "Name", Type = "title" });
            parent?.Children.Add(db.Id);
            return Id(db.Id);
        }
    }

    public void AddBlocks(string token, string parentId, IEnumerable<string> paragraphTexts)
    {
        var texts = paragraphTexts.ToList();
        lock (_gate)
        {
            var who = Seeder(token);
            var parent = SeedNode(who.Workspace, parentId, nameof(parentId));
            if (parent.Kind == NodeKind.Database)
            {
                throw new ArgumentException("Blocks cannot be added to a database.", nameof(parentId));
            }

            var parentRef = BlockParentRef(parent);
            foreach (var text in texts)
            {
                var block = NewNode(who.Workspace, NodeKind.Block, parentRef, who);
                block.BlockType = "paragraph";
                block.BlockContent = new JsonObject { ["rich_text"] = RichText(text), ["color"] = "default" };
                parent.Children.Add(block.Id);
            }
        }
    }

    public string AddUser(string token, string name, string email)
    {
        lock (_gate)
        {
            var who = Seeder(token);
            var user = new UserRecord { Id = Guid.NewGuid(), Name = name, Email = email, IsBot = false, Workspace = who.Workspace };
            who.Workspace.Users.Add(user);
            return Id(user.Id);
        }
    }

    private Integration Seeder(string token) =>
        _tokens.TryGetValue(token, out var integration)
            ? integration
            : throw new ArgumentException("Unknown integration token; create it with AddIntegration.", nameof(token));

    private static Node SeedNode(Workspace ws, string rawId, string paramName)
    {
        if (!TryParseId(rawId, out var id) || !ws.Nodes.TryGetValue(id, out var node))
        {
            throw new ArgumentException($"No page, database or block {rawId} in workspace '{ws.Name}'.", paramName);
        }

        return node;
    }

    private Node NewNode(Workspace ws, NodeKind kind, ParentRef parent, Integration who)
    {
        var now = DateTimeOffset.UtcNow;
        var node = new Node
        {
            Id = Guid.NewGuid(),
            Kind = kind,
            Parent = parent,
            Seq = ++_seq,
            CreatedTime = now,
            LastEditedTime = now,
            CreatedBy = who.Bot.Id,
            LastEditedBy = who.Bot.Id,
        };
        ws.Nodes.Add(node.Id, node);
        return node;
    }

    private static void Touch(Node node, Integration who)
    {
        node.LastEditedTime = DateTimeOffset.UtcNow;
        node.LastEditedBy = who.Bot.Id;
    }

    private static ParentRef BlockParentRef(Node parent) =>
        parent.Kind == NodeKind.Page ? new ParentRef("page_id", parent.Id) : new ParentRef("block_id", parent.Id);

    // ---------------------------------------------------------------- dispatch

    /// <summary>Routes one authenticated, versioned request. Throws <see cref="NotionApiException"/> for API errors.</summary>
    public JsonNode Handle(Integration who, string method, string[] seg, IQueryCollection query, JsonObject body)
    {
        lock (_gate)
        {
            if (who.Revoked)
            {
                throw new Err(401, "unauthorized", "API token is invalid.");
            }

            var c = new Ctx(who, who.Workspace);
            var n = seg.Length;
            if (n < 2 || seg[0] != "v1")
            {
                throw Err.InvalidUrl();
            }

            switch (seg[1])
            {
                case "users" when method == "GET":
                    if (n == 2)
                    {
                        return Paginate(c.Ws.Users, u => u.Id, RenderUser, PagingFromQuery(query), "user", "query.start_cursor");
                    }

                    if (n == 3)
                    {
                        return seg[2] == "me" ? RenderUser(who.Bot) : GetUser(c, ParsePathId(seg[2], "user_id"));
                    }

                    break;

                case "pages":
                    if (n == 2 && method == "POST")
                    {
                        return CreatePage(c, body);
                    }

                    if (n == 3 && method == "GET")
                    {
                        return RenderPage(c.Ws, FindPage(c.Ws, ParsePathId(seg[2], "page_id")));
                    }

                    if (n == 3 && method == "PATCH")
                    {
                        return UpdatePage(c, ParsePathId(seg[2], "page_id"), body);
                    }

                    break;

                case "blocks":
                    if (n == 3)
                    {
                        switch (method)
                        {
                            case "GET": return RenderBlock(c.Ws, FindBlock(c.Ws, ParsePathId(seg[2], "block_id")));
                            case "PATCH": return UpdateBlock(c, ParsePathId(seg[2], "block_id"), body);
                            case "DELETE": return DeleteBlock(c, ParsePathId(seg[2], "block_id"));
                        }
                    }
                    else if (n == 4 && seg[3] == "children")
                    {
                        switch (method)
                        {
                            case "GET": return ListChildren(c, ParsePathId(seg[2], "block_id"), query);
                            case "PATCH": return AppendChildren(c, ParsePathId(seg[2], "block_id"), body);
                        }
                    }

                    break;

                case "search" when n == 2 && method == "POST":
                    return Search(c, body);

                case "databases":
                    if (n == 2 && method == "POST")
                    {
                        return CreateDatabase(c, body);
                    }

                    if (n == 3 && method == "GET")
                    {
                        return RenderDatabase(FindDatabase(c.Ws, ParsePathId(seg[2], "database_id")));
                    }

                    if (n == 3 && method == "PATCH")
                    {
                        return UpdateDatabase(c, ParsePathId(seg[2], "database_id"), body);
                    }

                    if (n == 4 && seg[3] == "query" && method == "POST")
                    {
                        return QueryDatabase(c, ParsePathId(seg[2], "database_id"), body);
                    }

                    break;

                case "comments" when n == 2:
                    if (method == "POST")
                    {
                        return CreateComment(c, body);
                    }

                    if (method == "GET")
                    {
                        return ListComments(c, query);
                    }

                    break;
            }

            throw Err.InvalidUrl();
        }
    }

    // ---------------------------------------------------------------- ids, lookups, paging

    private static bool TryParseId(string raw, out Guid id) =>
        Guid.TryParseExact(raw, "D", out id) || Guid.TryParseExact(raw, "N", out id);

    private static Guid ParsePathId(string raw, string name) =>
        TryParseId(raw, out var id) ? id : throw Err.Expected($"path.{name}", "a valid uuid", JsonValue.Create(raw));

    private static Guid ParseBodyId(JsonNode? node, string path, bool present = true)
    {
        if (!present)
        {
            throw Err.Missing(path);
        }

        return TryString(node, out var raw) && TryParseId(raw, out var id)
            ? id
            : throw Err.Expected(path, "a valid uuid", node);
    }

    private static Node FindPage(Workspace ws, Guid id)
    {
        if (ws.Nodes.TryGetValue(id, out var node))
        {
            if (node.Kind == NodeKind.Page)
            {
                return node;
            }

            if (node.Kind == NodeKind.Database)
            {
                throw Err.Validation($"Provided ID {Id(id)} is a database, not a page. Use the retrieve database API instead, `/v1/databases/{Id(id)}`.");
            }
        }

        throw Err.NotFound("page", id);
    }

    private static Node FindDatabase(Workspace ws, Guid id)
    {
        if (ws.Nodes.TryGetValue(id, out var node))
        {
            if (node.Kind == NodeKind.Database)
            {
                return node;
            }

            if (node.Kind == NodeKind.Page)
            {
                throw Err.Validation($"Provided ID {Id(id)} is a page, not a database. Use the retrieve page API instead, `/v1/pages/{Id(id)}`.");
            }
        }

        throw Err.NotFound("database", id);
    }

    private static Node FindBlock(Workspace ws, Guid id) =>
        ws.Nodes.TryGetValue(id, out var node) ? node : throw Err.NotFound("block", id);

    private static (string? Cursor, int Size) PagingFromQuery(IQueryCollection query)
    {
        string? cursor = query.TryGetValue("start_cursor", out var c) && !string.IsNullOrEmpty(c.ToString()) ? c.ToString() : null;
        var size = 100;
        if (query.TryGetValue("page_size", out var s) && !string.IsNullOrEmpty(s.ToString()))
        {
            if (!int.TryParse(s.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out size))
            {
                throw Err.Expected("query.page_size", "a number", JsonValue.Create(s.ToString()));
            }

            CheckPageSize(size, "query.page_size");
        }

        return (cursor, size);
    }

    private static (string? Cursor, int Size) PagingFromBody(JsonObject body)
    {
        string? cursor = null;
        if (body["start_cursor"] is { } c)
        {
            cursor = TryString(c, out var s) ? s : throw Err.Expected("body.start_cursor", "a string", c);
        }

        var size = 100;
        if (body["page_size"] is { } p)
        {
            if (p is not JsonValue v || !v.TryGetValue(out size))
            {
                throw Err.Expected("body.page_size", "a number", p);
            }

            CheckPageSize(size, "body.page_size");
        }

        return (cursor, size);
    }

    private static void CheckPageSize(int size, string path)
    {
        if (size < 1)
        {
            throw Err.Expected(path, "≥ `1`", JsonValue.Create(size));
        }

        if (size > 100)
        {
            throw Err.Expected(path, "≤ `100`", JsonValue.Create(size));
        }
    }

    /// <summary>Cursor pagination: the cursor is the id of the first item of the next page, as Notion's are.</summary>
    private static JsonObject Paginate<T>(
        List<T> items, Func<T, Guid> idOf, Func<T, JsonNode> render, (string? Cursor, int Size) paging, string type, string cursorPath)
    {
        var start = 0;
        if (paging.Cursor is { } cursor)
        {
            start = TryParseId(cursor, out var g) ? items.FindIndex(x => idOf(x) == g) : -1;
            if (start < 0)
            {
                throw Err.Expected(cursorPath, "a valid cursor", JsonValue.Create(cursor));
            }
        }

        var end = Math.Min(items.Count, start + paging.Size);
        var results = new JsonArray();
        for (var i = start; i < end; i++)
        {
            results.Add(render(items[i]));
        }

        return List(results, end < items.Count ? Id(idOf(items[end])) : null, type);
    }

    private static bool? ArchivedFlag(JsonObject body)
    {
        bool? archived = null;
        foreach (var key in (ReadOnlySpan<string>)["archived", "in_trash"])
        {
            if (body.TryGetPropertyValue(key, out var node))
            {
                archived = TryBool(node, out var b) ? b : throw Err.Expected($"body.{key}", "a boolean", node);
            }
        }

        return archived;
    }

    private static void GuardArchived(Node node, bool? newArchived, bool edits)
    {
        if (edits && node.Archived && newArchived != false)
        {
            throw Err.ArchivedEdit();
        }
    }

    private static JsonNode? OptionalIconOrCover(JsonObject body, string key) =>
        body[key] switch
        {
            null => null,
            JsonObject o => o.DeepClone(),
            var other => throw Err.Expected($"body.{key}", "an object or `null`", other),
        };

    private static string FixOne(string path, IEnumerable<string> keys)
    {
        var where = path.Split('.', '[')[0];
        var parts = keys.Select(k => $"{path}.{k} should be defined, instead was `undefined`.");
        return $"{where} failed validation. Fix one: {string.Join(' ', parts)}";
    }

    private static string ShortId(IEnumerable<string> taken)
    {
        var used = taken.ToHashSet(StringComparer.Ordinal);
        string id;
        do
        {
            id = RandomNumberGenerator.GetString(AlphaNumeric, 4);
        }
        while (!used.Add(id));

        return id;
    }
}
