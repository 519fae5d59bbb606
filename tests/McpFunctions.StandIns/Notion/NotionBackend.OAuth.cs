using System.Text.Json.Nodes;
using static McpFunctions.StandIns.Notion.NotionJson;

namespace McpFunctions.StandIns.Notion;

/// <summary>What a public integration's OAuth flow needs from the workspace model: people who consent, and the bot each consent creates.</summary>
internal sealed partial class NotionBackend
{
    /// <summary>Adds a person to a workspace (created on first use) and returns their user id.</summary>
    public Guid AddPerson(string workspaceName, string name, string email)
    {
        lock (_gate)
        {
            var ws = WorkspaceNamed(workspaceName);
            var person = new UserRecord { Id = Guid.NewGuid(), Name = name, Email = email, IsBot = false, Workspace = ws };
            ws.Users.Add(person);
            return person.Id;
        }
    }

    public bool HasPerson(Guid userId)
    {
        lock (_gate)
        {
            return _workspaces.Values.Any(w => w.Users.Any(u => u.Id == userId && !u.IsBot));
        }
    }

    /// <summary>
    /// What one consent creates: the public integration's bot in the person's workspace. The returned integration is
    /// not reachable by any token of its own; the OAuth access tokens issued for the consent act as it.
    /// </summary>
    public NotionOAuthInstall InstallPublicIntegration(Guid personId, string integrationName)
    {
        lock (_gate)
        {
            var person = _workspaces.Values.SelectMany(w => w.Users).First(u => u.Id == personId && !u.IsBot);
            var ws = person.Workspace;
            var bot = new UserRecord { Id = Guid.NewGuid(), Name = integrationName, IsBot = true, Workspace = ws };
            ws.Users.Add(bot);
            var integration = new Integration { Token = "oauth:" + Id(bot.Id), Workspace = ws, Bot = bot };
            return new NotionOAuthInstall(integration, person);
        }
    }

    private Workspace WorkspaceNamed(string workspaceName)
    {
        if (!_workspaces.TryGetValue(workspaceName, out var ws))
        {
            ws = new Workspace { Id = Guid.NewGuid(), Name = workspaceName };
            _workspaces.Add(workspaceName, ws);
        }

        return ws;
    }
}

/// <summary>A public integration installed in a workspace by one person's consent.</summary>
internal sealed record NotionOAuthInstall(Integration Bot, UserRecord Owner)
{
    /// <summary>The token response's <c>owner</c>: the person who authorized (Notion's <c>owner=user</c>).</summary>
    public JsonObject OwnerJson() => new()
    {
        ["type"] = "user",
        ["user"] = new JsonObject
        {
            ["object"] = "user",
            ["id"] = Id(Owner.Id),
            ["name"] = Owner.Name,
            ["avatar_url"] = null,
            ["type"] = "person",
            ["person"] = new JsonObject { ["email"] = Owner.Email },
        },
    };
}
