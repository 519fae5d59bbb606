using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.StandIns.Qlik;

/// <summary>
/// The in-memory Qlik Cloud tenant: users, spaces and apps (each app also listed as an item), and the REST endpoints
/// the catalog's tools call. Every public member takes one lock.
/// </summary>
internal sealed class QlikTenant(TimeProvider clock)
{
    private const int DefaultLimit = 10;
    private const int MaxLimit = 100;

    private static readonly string[] ItemSorts = ["+name", "-name", "+createdAt", "-createdAt", "+updatedAt", "-updatedAt"];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, User> _users = new(StringComparer.Ordinal);
    private readonly List<Space> _spaces = [];
    private readonly List<App> _apps = [];
    private long _seq;

    public string TenantId { get; } = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", 32);

    public string AddUser(string name, string email)
    {
        lock (_gate)
        {
            var user = new User(RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", 32), name, email, clock.GetUtcNow());
            _users.Add(user.Id, user);
            return user.Id;
        }
    }

    public bool HasUser(string userId)
    {
        lock (_gate)
        {
            return _users.ContainsKey(userId);
        }
    }

    public string AddSpace(string name, string type, string ownerId, IEnumerable<string> memberIds)
    {
        lock (_gate)
        {
            RequireUser(ownerId, nameof(ownerId));
            var members = memberIds.ToHashSet(StringComparer.Ordinal);
            foreach (var member in members)
            {
                RequireUser(member, nameof(memberIds));
            }

            members.Add(ownerId);
            var now = clock.GetUtcNow();
            var space = new Space(RandomNumberGenerator.GetHexString(24, lowercase: true), name, type, ownerId, members, now, ++_seq);
            _spaces.Add(space);
            return space.Id;
        }
    }

    public string AddApp(string name, string ownerId, string? spaceId, string? description)
    {
        lock (_gate)
        {
            RequireUser(ownerId, nameof(ownerId));
            if (spaceId is not null && _spaces.All(s => s.Id != spaceId))
            {
                throw new ArgumentException($"No space {spaceId}; create it with AddSpace.", nameof(spaceId));
            }

            var now = clock.GetUtcNow().AddMilliseconds(++_seq);
            var app = new App(Guid.NewGuid().ToString("D"), RandomNumberGenerator.GetHexString(24, lowercase: true), name, description ?? string.Empty, ownerId, spaceId, now, _seq);
            _apps.Add(app);
            return app.Id;
        }
    }

    public string? UserName(string userId)
    {
        lock (_gate)
        {
            return _users.TryGetValue(userId, out var user) ? user.Name : null;
        }
    }

    /// <summary>Routes one authenticated API request. Throws <see cref="QlikApiException"/> for API errors.</summary>
    public JsonNode Handle(string userId, string method, string[] seg, IQueryCollection query, Uri baseUrl)
    {
        lock (_gate)
        {
            var user = _users[userId];
            if (method != "GET")
            {
                throw new QlikApiException(405, "HTTP-405", "Method Not Allowed");
            }

            return seg switch
            {
                ["api", "v1", "users", "me"] => RenderUser(user, baseUrl),
                ["api", "v1", "items"] => ListItems(user, query, baseUrl),
                ["api", "v1", "apps", var appId] => GetApp(user, appId),
                ["api", "v1", "spaces"] => ListSpaces(user, query, baseUrl),
                ["api", "v1", "spaces", var spaceId] => RenderSpace(FindVisibleSpace(user, spaceId), user, baseUrl),
                _ => throw QlikApiException.NotFound("The requested resource does not exist."),
            };
        }
    }

    // ---------------------------------------------------------------- endpoints

    private JsonObject ListItems(User user, IQueryCollection query, Uri baseUrl)
    {
        var limit = Limit(query);
        var resourceTypes = Param(query, "resourceType")?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var name = Param(query, "name");
        var text = Param(query, "query");
        var spaceId = Param(query, "spaceId");
        var sort = Param(query, "sort") ?? "+createdAt";
        if (!ItemSorts.Contains(sort, StringComparer.Ordinal))
        {
            throw QlikApiException.BadRequest($"sort must be one of {string.Join(", ", ItemSorts)}.");
        }

        IEnumerable<App> apps = _apps.Where(a => CanSee(user, a));
        if (resourceTypes is not null && !resourceTypes.Contains("app", StringComparer.Ordinal))
        {
            apps = [];
        }

        if (name is not null)
        {
            apps = apps.Where(a => a.Name.Contains(name, StringComparison.OrdinalIgnoreCase));
        }

        if (text is not null)
        {
            apps = apps.Where(a => a.Name.Contains(text, StringComparison.OrdinalIgnoreCase) || a.Description.Contains(text, StringComparison.OrdinalIgnoreCase));
        }

        if (spaceId is not null)
        {
            apps = spaceId == "personal" ? apps.Where(a => a.SpaceId is null && a.OwnerId == user.Id) : apps.Where(a => a.SpaceId == spaceId);
        }

        var ordered = (sort[1..], sort[0] == '-') switch
        {
            ("name", false) => apps.OrderBy(a => a.Name, StringComparer.OrdinalIgnoreCase).ThenBy(a => a.Seq),
            ("name", true) => apps.OrderByDescending(a => a.Name, StringComparer.OrdinalIgnoreCase).ThenByDescending(a => a.Seq),
            (_, false) => apps.OrderBy(a => a.Seq),
            (_, true) => apps.OrderByDescending(a => a.Seq),
        };
        var page = Page(ordered.ToList(), query, limit, out var nextOffset, out var prevOffset);
        var data = new JsonArray([.. page.Select(a => (JsonNode)RenderItem(a, baseUrl, !IsTrue(query, "noActions")))]);
        return new JsonObject
        {
            ["data"] = data,
            ["links"] = Links(baseUrl, "api/v1/items", query, nextOffset, prevOffset),
        };
    }

    private JsonObject GetApp(User user, string appId)
    {
        var app = _apps.FirstOrDefault(a => string.Equals(a.Id, appId, StringComparison.OrdinalIgnoreCase))
            ?? throw QlikApiException.NotFound($"App {appId} not found.");
        if (!CanSee(user, app))
        {
            throw new QlikApiException(403, "HTTP-403", "Forbidden", "Access denied to the app.");
        }

        return new JsonObject
        {
            ["attributes"] = AppAttributes(app),
            ["privileges"] = app.OwnerId == user.Id
                ? new JsonArray("read", "update", "delete", "reload", "import", "publish", "duplicate", "export", "exportdata", "change_owner", "change_space")
                : new JsonArray("read", "duplicate", "exportdata"),
            ["create"] = new JsonArray(),
        };
    }

    private JsonObject ListSpaces(User user, IQueryCollection query, Uri baseUrl)
    {
        var limit = Limit(query);
        var name = Param(query, "name");
        var type = Param(query, "type");
        if (type is not null && type is not ("shared" or "managed" or "data"))
        {
            throw QlikApiException.BadRequest("type must be one of shared, managed, data.");
        }

        var spaces = _spaces.Where(s => s.Members.Contains(user.Id))
            .Where(s => name is null || s.Name.Contains(name, StringComparison.OrdinalIgnoreCase))
            .Where(s => type is null || s.Type == type)
            .OrderBy(s => s.Seq)
            .ToList();
        var page = Page(spaces, query, limit, out var nextOffset, out var prevOffset);
        return new JsonObject
        {
            ["data"] = new JsonArray([.. page.Select(s => (JsonNode)RenderSpace(s, user, baseUrl))]),
            ["meta"] = new JsonObject { ["count"] = spaces.Count },
            ["links"] = Links(baseUrl, "api/v1/spaces", query, nextOffset, prevOffset),
        };
    }

    private Space FindVisibleSpace(User user, string spaceId) =>
        _spaces.FirstOrDefault(s => s.Id == spaceId && s.Members.Contains(user.Id))
            ?? throw QlikApiException.NotFound($"Space {spaceId} not found.");

    // ---------------------------------------------------------------- rendering

    private JsonObject RenderUser(User user, Uri baseUrl) => new()
    {
        ["id"] = user.Id,
        ["tenantId"] = TenantId,
        ["status"] = "active",
        ["subject"] = "auth0|" + user.Id,
        ["name"] = user.Name,
        ["email"] = user.Email,
        ["assignedRoles"] = new JsonArray(new JsonObject { ["id"] = "608050f7634644db3678b1a2", ["name"] = "Professional", ["type"] = "default", ["level"] = "user" }),
        ["createdAt"] = Timestamp(user.CreatedAt),
        ["lastUpdatedAt"] = Timestamp(user.CreatedAt),
        ["links"] = new JsonObject { ["self"] = Href(baseUrl, $"api/v1/users/{user.Id}") },
    };

    private JsonObject RenderItem(App app, Uri baseUrl, bool withActions)
    {
        var item = new JsonObject
        {
            ["id"] = app.ItemId,
            ["name"] = app.Name,
            ["description"] = app.Description,
            ["resourceId"] = app.Id,
            ["resourceType"] = "app",
            ["resourceSubType"] = string.Empty,
            ["resourceLink"] = string.Empty,
            ["resourceAttributes"] = AppAttributes(app),
            ["resourceCustomAttributes"] = null,
            ["resourceCreatedAt"] = Timestamp(app.CreatedAt),
            ["resourceUpdatedAt"] = Timestamp(app.CreatedAt),
            ["resourceSize"] = new JsonObject { ["appFile"] = 0, ["appMemory"] = 0 },
            ["spaceId"] = app.SpaceId ?? string.Empty,
            ["ownerId"] = app.OwnerId,
            ["creatorId"] = app.OwnerId,
            ["updaterId"] = app.OwnerId,
            ["tenantId"] = TenantId,
            ["isFavorited"] = false,
            ["collectionIds"] = new JsonArray(),
            ["meta"] = new JsonObject { ["tags"] = new JsonArray(), ["collections"] = new JsonArray(), ["isFavorited"] = false },
            ["links"] = new JsonObject
            {
                ["self"] = Href(baseUrl, $"api/v1/items/{app.ItemId}"),
                ["open"] = Href(baseUrl, $"sense/app/{app.Id}"),
                ["thumbnail"] = Href(baseUrl, $"api/v1/apps/{app.Id}/media/thumbnail"),
            },
            ["createdAt"] = Timestamp(app.CreatedAt),
            ["updatedAt"] = Timestamp(app.CreatedAt),
        };
        if (withActions)
        {
            item["actions"] = new JsonArray("read", "duplicate");
        }

        return item;
    }

    private JsonObject AppAttributes(App app)
    {
        var owner = _users[app.OwnerId];
        var attributes = new JsonObject
        {
            ["id"] = app.Id,
            ["name"] = app.Name,
            ["description"] = app.Description,
            ["thumbnail"] = string.Empty,
            ["lastReloadTime"] = Timestamp(app.CreatedAt),
            ["createdDate"] = Timestamp(app.CreatedAt),
            ["modifiedDate"] = Timestamp(app.CreatedAt),
            ["owner"] = "auth0|" + owner.Id,
            ["ownerId"] = owner.Id,
            ["dynamicColor"] = string.Empty,
            ["published"] = false,
            ["publishTime"] = string.Empty,
            ["custom"] = new JsonObject(),
            ["hasSectionAccess"] = false,
            ["encrypted"] = true,
            ["originAppId"] = string.Empty,
            ["isDirectQueryMode"] = false,
            ["usage"] = "ANALYTICS",
            ["_resourcetype"] = "app",
        };
        if (app.SpaceId is not null)
        {
            attributes["spaceId"] = app.SpaceId;
        }

        return attributes;
    }

    private JsonObject RenderSpace(Space space, User user, Uri baseUrl) => new()
    {
        ["id"] = space.Id,
        ["type"] = space.Type,
        ["ownerId"] = space.OwnerId,
        ["tenantId"] = TenantId,
        ["name"] = space.Name,
        ["description"] = string.Empty,
        ["meta"] = new JsonObject
        {
            ["actions"] = space.OwnerId == user.Id ? new JsonArray("create", "read", "update", "delete", "publish") : new JsonArray("read"),
            ["roles"] = new JsonArray(space.OwnerId == user.Id ? "producer" : "consumer"),
            ["assignableRoles"] = new JsonArray("consumer", "contributor", "dataconsumer", "facilitator", "producer"),
        },
        ["links"] = new JsonObject
        {
            ["self"] = Href(baseUrl, $"api/v1/spaces/{space.Id}"),
            ["assignments"] = Href(baseUrl, $"api/v1/spaces/{space.Id}/assignments"),
        },
        ["createdAt"] = Timestamp(space.CreatedAt),
        ["createdBy"] = space.OwnerId,
        ["updatedAt"] = Timestamp(space.CreatedAt),
    };

    // ---------------------------------------------------------------- paging

    /// <summary>One page of an ordered listing, and the offsets the next and previous cursors stand for.</summary>
    private static List<T> Page<T>(List<T> all, IQueryCollection query, int limit, out int? nextOffset, out int? prevOffset)
    {
        var next = Param(query, "next");
        var prev = Param(query, "prev");
        if (next is not null && prev is not null)
        {
            throw QlikApiException.BadRequest("Provide either the next or prev cursor, but not both.");
        }

        var offset = next is not null ? DecodeCursor(next) : prev is not null ? DecodeCursor(prev) : 0;
        var page = all.Skip(offset).Take(limit).ToList();
        nextOffset = offset + limit < all.Count ? offset + limit : null;
        prevOffset = offset > 0 ? Math.Max(0, offset - limit) : null;
        return page;
    }

    private static JsonObject Links(Uri baseUrl, string path, IQueryCollection query, int? nextOffset, int? prevOffset)
    {
        var links = new JsonObject { ["self"] = Href(baseUrl, path + QueryString(query, null, null)) };
        if (prevOffset is { } prev)
        {
            links["prev"] = Href(baseUrl, path + QueryString(query, "prev", EncodeCursor(prev)));
        }

        if (nextOffset is { } next)
        {
            links["next"] = Href(baseUrl, path + QueryString(query, "next", EncodeCursor(next)));
        }

        return links;
    }

    /// <summary>The request's own query with its cursors replaced, as Qlik builds <c>links.next.href</c>.</summary>
    private static string QueryString(IQueryCollection query, string? cursorName, string? cursor)
    {
        var pairs = query.Where(p => p.Key is not ("next" or "prev"))
            .SelectMany(p => p.Value.Select(v => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(v ?? string.Empty)}"))
            .ToList();
        if (cursorName is not null)
        {
            pairs.Add($"{cursorName}={Uri.EscapeDataString(cursor!)}");
        }

        return pairs.Count == 0 ? string.Empty : "?" + string.Join('&', pairs);
    }

    /// <summary>Cursors are opaque to clients; this one is base64 of the offset and keeps its '=' padding, so clients must URL-encode it.</summary>
    private static string EncodeCursor(int offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("offset:" + offset.ToString(CultureInfo.InvariantCulture)));

    private static int DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(cursor));
            if (text.StartsWith("offset:", StringComparison.Ordinal) && int.TryParse(text[7..], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                return offset;
            }
        }
        catch (FormatException)
        {
            // Falls through to the error below.
        }

        throw QlikApiException.BadRequest("Invalid cursor.");
    }

    private static int Limit(IQueryCollection query)
    {
        var raw = Param(query, "limit");
        if (raw is null)
        {
            return DefaultLimit;
        }

        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= MaxLimit
            ? limit
            : throw QlikApiException.BadRequest($"limit must be an integer between 1 and {MaxLimit} (inclusive).");
    }

    // ---------------------------------------------------------------- helpers

    private bool CanSee(User user, App app) =>
        app.OwnerId == user.Id || (app.SpaceId is not null && _spaces.Any(s => s.Id == app.SpaceId && s.Members.Contains(user.Id)));

    private static string? Param(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value.ToString()) ? value.ToString() : null;

    private static bool IsTrue(IQueryCollection query, string name) => string.Equals(Param(query, name), "true", StringComparison.OrdinalIgnoreCase);

    private static JsonObject Href(Uri baseUrl, string relative) => new() { ["href"] = new Uri(baseUrl, relative).AbsoluteUri };

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private void RequireUser(string userId, string paramName)
    {
        if (!_users.ContainsKey(userId))
        {
            throw new ArgumentException($"No user {userId}; create it with AddUser.", paramName);
        }
    }

    private sealed record User(string Id, string Name, string Email, DateTimeOffset CreatedAt);

    private sealed record Space(string Id, string Name, string Type, string OwnerId, HashSet<string> Members, DateTimeOffset CreatedAt, long Seq);

    private sealed record App(string Id, string ItemId, string Name, string Description, string OwnerId, string? SpaceId, DateTimeOffset CreatedAt, long Seq);
}
