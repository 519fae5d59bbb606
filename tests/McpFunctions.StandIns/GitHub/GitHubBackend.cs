using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.StandIns.GitHub;

/// <summary>
/// The in-memory GitHub: users, repositories (with collaborators and whether the GitHub App is installed on them),
/// issues and comments, per-user rate limits, and the REST endpoints the catalog's tools call. Every public member
/// takes one lock.
/// </summary>
internal sealed class GitHubBackend(TimeProvider clock)
{
    private const int DefaultPerPage = 30;
    private const int MaxPerPage = 100;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, User> _users = [];
    private readonly List<Repo> _repos = [];
    private long _nextId = 1000;

    /// <summary>Requests per hour per user for user-to-server tokens.</summary>
    public int RateLimit { get; set; } = 5000;

    public long AddUser(string login, string? name)
    {
        lock (_gate)
        {
            if (_users.Values.Any(u => string.Equals(u.Login, login, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ArgumentException($"Login {login} is taken.", nameof(login));
            }

            var user = new User(++_nextId, login, name, clock.GetUtcNow());
            _users.Add(user.Id, user);
            return user.Id;
        }
    }

    public bool HasUser(long userId)
    {
        lock (_gate)
        {
            return _users.ContainsKey(userId);
        }
    }

    public string AddRepo(string ownerLogin, string name, bool isPrivate, bool appInstalled, string? description)
    {
        lock (_gate)
        {
            var owner = UserByLogin(ownerLogin) ?? throw new ArgumentException($"No user {ownerLogin}.", nameof(ownerLogin));
            if (FindRepo(ownerLogin, name) is not null)
            {
                throw new ArgumentException($"{ownerLogin}/{name} exists.", nameof(name));
            }

            var repo = new Repo(++_nextId, owner, name, isPrivate, appInstalled, description, clock.GetUtcNow());
            _repos.Add(repo);
            return repo.FullName;
        }
    }

    public void AddCollaborator(string fullName, string login)
    {
        lock (_gate)
        {
            var repo = SeedRepo(fullName);
            repo.Collaborators.Add(UserByLogin(login) ?? throw new ArgumentException($"No user {login}.", nameof(login)));
        }
    }

    public int AddIssue(string fullName, string title, string? body, string authorLogin, IEnumerable<string> labels)
    {
        lock (_gate)
        {
            var repo = SeedRepo(fullName);
            var author = UserByLogin(authorLogin) ?? throw new ArgumentException($"No user {authorLogin}.", nameof(authorLogin));
            return NewIssue(repo, author, title, body, [.. labels], []).Number;
        }
    }

    /// <summary>Counts one request against the user's hourly limit and returns the rate-limit headers GitHub sends.</summary>
    /// <returns>False when the limit was already used up (the request must be refused).</returns>
    public bool TakeRateLimit(long userId, out IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        lock (_gate)
        {
            var user = _users[userId];
            var now = clock.GetUtcNow();
            if (user.WindowResetsAt is not { } reset || now >= reset)
            {
                user.WindowResetsAt = now.AddHours(1);
                user.Used = 0;
            }

            var allowed = user.Used < RateLimit;
            if (allowed)
            {
                user.Used++;
            }

            headers =
            [
                new("x-ratelimit-limit", RateLimit.ToString(CultureInfo.InvariantCulture)),
                new("x-ratelimit-remaining", Math.Max(0, RateLimit - user.Used).ToString(CultureInfo.InvariantCulture)),
                new("x-ratelimit-reset", user.WindowResetsAt!.Value.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
                new("x-ratelimit-used", user.Used.ToString(CultureInfo.InvariantCulture)),
                new("x-ratelimit-resource", "core"),
            ];
            return allowed;
        }
    }

    /// <summary>Routes one authenticated API request. Throws <see cref="GitHubApiException"/> for API errors.</summary>
    public GitHubReply Handle(long userId, string method, string[] seg, IQueryCollection query, string body, Uri baseUrl)
    {
        lock (_gate)
        {
            var user = _users[userId];
            return (method, seg) switch
            {
                ("GET", ["user"]) => new(200, RenderUser(user, full: true, baseUrl)),
                ("GET", ["user", "repos"]) => ListRepos(user, query, baseUrl),
                ("GET", ["repos", var o, var r]) => new(200, RenderRepo(VisibleRepo(user, o, r), user, baseUrl)),
                ("GET", ["repos", var o, var r, "issues"]) => ListIssues(VisibleRepo(user, o, r), query, baseUrl),
                ("POST", ["repos", var o, var r, "issues"]) => CreateIssue(user, VisibleRepo(user, o, r), ParseBody(body), baseUrl),
                ("GET", ["repos", var o, var r, "issues", var n]) => new(200, RenderIssue(FindIssue(VisibleRepo(user, o, r), n), baseUrl)),
                ("GET", ["repos", var o, var r, "issues", var n, "comments"]) =>
                    new(200, new JsonArray([.. FindIssue(VisibleRepo(user, o, r), n).Comments.Select(c => (JsonNode)RenderComment(c, baseUrl))])),
                ("POST", ["repos", var o, var r, "issues", var n, "comments"]) => CreateComment(user, VisibleRepo(user, o, r), n, ParseBody(body), baseUrl),
                _ => throw GitHubApiException.NotFound(),
            };
        }
    }

    // ---------------------------------------------------------------- endpoints

    private GitHubReply ListRepos(User user, IQueryCollection query, Uri baseUrl)
    {
        var visibility = Param(query, "visibility") ?? "all";
        var affiliation = (Param(query, "affiliation") ?? "owner,collaborator,organization_member").Split(',');
        var sort = Param(query, "sort") ?? "full_name";
        var direction = Param(query, "direction") ?? (sort == "full_name" ? "asc" : "desc");
        if (visibility is not ("all" or "public" or "private") || sort is not ("created" or "updated" or "pushed" or "full_name") || direction is not ("asc" or "desc"))
        {
            throw GitHubApiException.ValidationFailed("Repository", "visibility/sort/direction", "invalid", JsonValue.Create(visibility));
        }

        var repos = _repos.Where(r => r.AppInstalled)
            .Where(r => (affiliation.Contains("owner") && r.Owner == user) || (affiliation.Contains("collaborator") && r.Collaborators.Contains(user)))
            .Where(r => visibility == "all" || r.Private == (visibility == "private"));
        var ordered = sort == "full_name"
            ? repos.OrderBy(r => r.FullName, StringComparer.OrdinalIgnoreCase)
            : repos.OrderBy(r => r.Id);
        var list = (direction == "asc" ? ordered : ordered.Reverse()).ToList();
        return Paged(list, query, baseUrl, "user/repos", r => RenderRepo(r, user, baseUrl));
    }

    private static GitHubReply ListIssues(Repo repo, IQueryCollection query, Uri baseUrl)
    {
        var state = Param(query, "state") ?? "open";
        var labels = Param(query, "labels")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var sort = Param(query, "sort") ?? "created";
        var direction = Param(query, "direction") ?? "desc";
        var issues = repo.Issues
            .Where(i => state == "all" || i.State == state)
            .Where(i => labels.All(l => i.Labels.Contains(l, StringComparer.OrdinalIgnoreCase)));
        var ordered = sort == "comments" ? issues.OrderBy(i => i.Comments.Count).ThenBy(i => i.Number) : issues.OrderBy(i => i.Number);
        var list = (direction == "asc" ? ordered : ordered.Reverse()).ToList();
        return Paged(list, query, baseUrl, $"repos/{repo.FullName}/issues", i => RenderIssue(i, baseUrl));
    }

    private GitHubReply CreateIssue(User user, Repo repo, JsonObject body, Uri baseUrl)
    {
        RequireWrite(repo);
        var title = body["title"] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 0 => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
            null => throw GitHubApiException.NotSupplied("title"),
            var other => throw new GitHubApiException(422, $"Invalid request.\n\nFor 'properties/title', {other.ToJsonString()} is not a string or an integer."),
        };
        var text = body["body"] is JsonValue b && b.GetValueKind() == JsonValueKind.String ? b.GetValue<string>() : null;
        var labels = Strings(body["labels"], "labels");
        var assignees = Strings(body["assignees"], "assignees");
        var canPush = repo.Owner == user || repo.Collaborators.Contains(user);
        var assigned = new List<User>();
        if (canPush)
        {
            foreach (var login in assignees)
            {
                var assignee = UserByLogin(login);
                if (assignee is null || (assignee != repo.Owner && !repo.Collaborators.Contains(assignee)))
                {
                    throw GitHubApiException.ValidationFailed("Issue", "assignees", "invalid", JsonValue.Create(login));
                }

                assigned.Add(assignee);
            }
        }

        // Without push access GitHub silently drops labels, assignees and milestone.
        var issue = NewIssue(repo, user, title, text, canPush ? labels : [], assigned);
        return new GitHubReply(201, RenderIssue(issue, baseUrl), Location: issue.ApiUrl(baseUrl));
    }

    private GitHubReply CreateComment(User user, Repo repo, string number, JsonObject body, Uri baseUrl)
    {
        RequireWrite(repo);
        var issue = FindIssue(repo, number);
        var text = body["body"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 0
            ? v.GetValue<string>()
            : throw GitHubApiException.NotSupplied("body");
        var comment = new Comment(++_nextId, issue, user, text, clock.GetUtcNow());
        issue.Comments.Add(comment);
        issue.UpdatedAt = comment.CreatedAt;
        return new GitHubReply(201, RenderComment(comment, baseUrl), Location: new Uri(baseUrl, $"repos/{repo.FullName}/issues/comments/{comment.Id}").AbsoluteUri);
    }

    // ---------------------------------------------------------------- rendering

    private static JsonObject RenderUser(User user, bool full, Uri baseUrl)
    {
        var o = new JsonObject
        {
            ["login"] = user.Login,
            ["id"] = user.Id,
            ["node_id"] = "U_kgDO" + user.Id.ToString(CultureInfo.InvariantCulture),
            ["avatar_url"] = $"https://avatars.githubusercontent.com/u/{user.Id}?v=4",
            ["url"] = new Uri(baseUrl, $"users/{user.Login}").AbsoluteUri,
            ["html_url"] = $"https://github.com/{user.Login}",
            ["type"] = "User",
            ["site_admin"] = false,
        };
        if (full)
        {
            o["name"] = user.Name;
            o["company"] = null;
            o["blog"] = string.Empty;
            o["location"] = null;
            o["email"] = null;
            o["bio"] = null;
            o["public_repos"] = 0;
            o["followers"] = 0;
            o["following"] = 0;
            o["created_at"] = Timestamp(user.CreatedAt);
            o["updated_at"] = Timestamp(user.CreatedAt);
        }

        return o;
    }

    private static JsonObject RenderRepo(Repo repo, User viewer, Uri baseUrl)
    {
        var admin = repo.Owner == viewer;
        var push = admin || repo.Collaborators.Contains(viewer);
        return new JsonObject
        {
            ["id"] = repo.Id,
            ["node_id"] = "R_kgDO" + repo.Id.ToString(CultureInfo.InvariantCulture),
            ["name"] = repo.Name,
            ["full_name"] = repo.FullName,
            ["private"] = repo.Private,
            ["owner"] = RenderUser(repo.Owner, full: false, baseUrl),
            ["html_url"] = $"https://github.com/{repo.FullName}",
            ["description"] = repo.Description,
            ["fork"] = false,
            ["url"] = new Uri(baseUrl, $"repos/{repo.FullName}").AbsoluteUri,
            ["created_at"] = Timestamp(repo.CreatedAt),
            ["updated_at"] = Timestamp(repo.CreatedAt),
            ["pushed_at"] = Timestamp(repo.CreatedAt),
            ["has_issues"] = true,
            ["archived"] = false,
            ["visibility"] = repo.Private ? "private" : "public",
            ["open_issues_count"] = repo.Issues.Count(i => i.State == "open"),
            ["topics"] = new JsonArray(),
            ["default_branch"] = "main",
            ["permissions"] = new JsonObject { ["admin"] = admin, ["maintain"] = admin, ["push"] = push, ["triage"] = push, ["pull"] = true },
        };
    }

    private static JsonObject RenderIssue(Issue issue, Uri baseUrl) => new()
    {
        ["id"] = issue.Id,
        ["node_id"] = "I_kwDO" + issue.Id.ToString(CultureInfo.InvariantCulture),
        ["url"] = issue.ApiUrl(baseUrl),
        ["repository_url"] = new Uri(baseUrl, $"repos/{issue.Repo.FullName}").AbsoluteUri,
        ["comments_url"] = issue.ApiUrl(baseUrl) + "/comments",
        ["html_url"] = $"https://github.com/{issue.Repo.FullName}/issues/{issue.Number}",
        ["number"] = issue.Number,
        ["state"] = issue.State,
        ["state_reason"] = null,
        ["title"] = issue.Title,
        ["body"] = issue.Body,
        ["user"] = RenderUser(issue.Author, full: false, baseUrl),
        ["labels"] = new JsonArray([.. issue.Labels.Select((l, i) => (JsonNode)new JsonObject
        {
            ["id"] = issue.Id * 100 + i,
            ["name"] = l,
            ["color"] = "ededed",
            ["default"] = false,
            ["description"] = null,
        })]),
        ["assignee"] = issue.Assignees.Count > 0 ? RenderUser(issue.Assignees[0], full: false, baseUrl) : null,
        ["assignees"] = new JsonArray([.. issue.Assignees.Select(a => (JsonNode)RenderUser(a, full: false, baseUrl))]),
        ["milestone"] = null,
        ["locked"] = false,
        ["comments"] = issue.Comments.Count,
        ["created_at"] = Timestamp(issue.CreatedAt),
        ["updated_at"] = Timestamp(issue.UpdatedAt),
        ["closed_at"] = null,
        ["author_association"] = AuthorAssociation(issue.Repo, issue.Author),
    };

    private static JsonObject RenderComment(Comment comment, Uri baseUrl) => new()
    {
        ["id"] = comment.Id,
        ["node_id"] = "IC_kwDO" + comment.Id.ToString(CultureInfo.InvariantCulture),
        ["url"] = new Uri(baseUrl, $"repos/{comment.Issue.Repo.FullName}/issues/comments/{comment.Id}").AbsoluteUri,
        ["html_url"] = $"https://github.com/{comment.Issue.Repo.FullName}/issues/{comment.Issue.Number}#issuecomment-{comment.Id}",
        ["issue_url"] = comment.Issue.ApiUrl(baseUrl),
        ["body"] = comment.Body,
        ["user"] = RenderUser(comment.Author, full: false, baseUrl),
        ["created_at"] = Timestamp(comment.CreatedAt),
        ["updated_at"] = Timestamp(comment.CreatedAt),
        ["author_association"] = AuthorAssociation(comment.Issue.Repo, comment.Author),
    };

    // ---------------------------------------------------------------- paging

    /// <summary>One page by <c>per_page</c>/<c>page</c>, with GitHub's <c>Link</c> header (next, last, first, prev).</summary>
    private static GitHubReply Paged<T>(List<T> all, IQueryCollection query, Uri baseUrl, string path, Func<T, JsonObject> render)
    {
        var perPage = Math.Clamp(Int(query, "per_page") ?? DefaultPerPage, 1, MaxPerPage);
        var page = Math.Max(1, Int(query, "page") ?? 1);
        var items = all.Skip((page - 1) * perPage).Take(perPage).Select(i => (JsonNode)render(i)).ToArray();
        var last = Math.Max(1, (all.Count + perPage - 1) / perPage);
        var links = new List<string>();
        string Link(int p, string rel) => $"<{new Uri(baseUrl, path).AbsoluteUri}{PageQuery(query, p)}>; rel=\"{rel}\"";
        if (page > 1)
        {
            links.Add(Link(page - 1, "prev"));
        }

        if (page < last)
        {
            links.Add(Link(page + 1, "next"));
            links.Add(Link(last, "last"));
        }

        if (page > 1)
        {
            links.Add(Link(1, "first"));
        }

        return new GitHubReply(200, new JsonArray(items), links.Count == 0 ? null : string.Join(", ", links));
    }

    private static string PageQuery(IQueryCollection query, int page)
    {
        var pairs = query.Where(p => p.Key != "page")
            .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value.ToString())}")
            .Append($"page={page.ToString(CultureInfo.InvariantCulture)}");
        return "?" + string.Join('&', pairs);
    }

    // ---------------------------------------------------------------- helpers

    private Repo VisibleRepo(User user, string owner, string name)
    {
        var repo = FindRepo(owner, name);
        return repo is not null && (!repo.Private || (repo.AppInstalled && (repo.Owner == user || repo.Collaborators.Contains(user))))
            ? repo
            : throw GitHubApiException.NotFound();
    }

    /// <summary>User-to-server tokens act only where the GitHub App is installed.</summary>
    private static void RequireWrite(Repo repo)
    {
        if (!repo.AppInstalled)
        {
            throw new GitHubApiException(403, "Resource not accessible by integration");
        }
    }

    private static Issue FindIssue(Repo repo, string number) =>
        int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && repo.Issues.FirstOrDefault(i => i.Number == n) is { } issue
            ? issue
            : throw GitHubApiException.NotFound();

    private Issue NewIssue(Repo repo, User author, string title, string? body, List<string> labels, List<User> assignees)
    {
        var now = clock.GetUtcNow();
        var issue = new Issue(++_nextId, repo, repo.Issues.Count + 1, author, title, body, labels, assignees, now) { UpdatedAt = now };
        repo.Issues.Add(issue);
        return issue;
    }

    private Repo? FindRepo(string owner, string name) =>
        _repos.FirstOrDefault(r => string.Equals(r.Owner.Login, owner, StringComparison.OrdinalIgnoreCase) && string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    private Repo SeedRepo(string fullName)
    {
        var parts = fullName.Split('/');
        return parts.Length == 2 && FindRepo(parts[0], parts[1]) is { } repo ? repo : throw new ArgumentException($"No repository {fullName}.", nameof(fullName));
    }

    private User? UserByLogin(string login) => _users.Values.FirstOrDefault(u => string.Equals(u.Login, login, StringComparison.OrdinalIgnoreCase));

    private static JsonObject ParseBody(string body)
    {
        try
        {
            return JsonNode.Parse(string.IsNullOrWhiteSpace(body) ? "{}" : body) as JsonObject ?? throw new GitHubApiException(400, "Problems parsing JSON");
        }
        catch (JsonException)
        {
            throw new GitHubApiException(400, "Problems parsing JSON");
        }
    }

    private static List<string> Strings(JsonNode? node, string field) => node switch
    {
        null => [],
        JsonArray array when array.All(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String) => [.. array.Select(i => i!.GetValue<string>())],
        _ => throw new GitHubApiException(422, $"Invalid request.\n\nFor 'properties/{field}', {node.ToJsonString()} is not an array of strings."),
    };

    private static string AuthorAssociation(Repo repo, User user) =>
        repo.Owner == user ? "OWNER" : repo.Collaborators.Contains(user) ? "COLLABORATOR" : "NONE";

    private static string? Param(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value.ToString()) ? value.ToString() : null;

    private static int? Int(IQueryCollection query, string name) =>
        int.TryParse(Param(query, name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed class User(long id, string login, string? name, DateTimeOffset createdAt)
    {
        public long Id { get; } = id;

        public string Login { get; } = login;

        public string? Name { get; } = name;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public DateTimeOffset? WindowResetsAt { get; set; }

        public int Used { get; set; }
    }

    private sealed class Repo(long id, User owner, string name, bool isPrivate, bool appInstalled, string? description, DateTimeOffset createdAt)
    {
        public long Id { get; } = id;

        public User Owner { get; } = owner;

        public string Name { get; } = name;

        public string FullName => $"{Owner.Login}/{Name}";

        public bool Private { get; } = isPrivate;

        public bool AppInstalled { get; } = appInstalled;

        public string? Description { get; } = description;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public HashSet<User> Collaborators { get; } = [];

        public List<Issue> Issues { get; } = [];
    }

    private sealed class Issue(long id, Repo repo, int number, User author, string title, string? body, List<string> labels, List<User> assignees, DateTimeOffset createdAt)
    {
        public long Id { get; } = id;

        public Repo Repo { get; } = repo;

        public int Number { get; } = number;

        public User Author { get; } = author;

        public string Title { get; } = title;

        public string? Body { get; } = body;

        public List<string> Labels { get; } = labels;

        public List<User> Assignees { get; } = assignees;

        public string State { get; } = "open";

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public DateTimeOffset UpdatedAt { get; set; }

        public List<Comment> Comments { get; } = [];

        public string ApiUrl(Uri baseUrl) => new Uri(baseUrl, $"repos/{Repo.FullName}/issues/{Number}").AbsoluteUri;
    }

    private sealed record Comment(long Id, Issue Issue, User Author, string Body, DateTimeOffset CreatedAt);
}

/// <summary>What an API endpoint answers: status, JSON body, and the <c>Link</c> and <c>Location</c> headers when it sets them.</summary>
internal sealed record GitHubReply(int Status, JsonNode Body, string? Link = null, string? Location = null);
