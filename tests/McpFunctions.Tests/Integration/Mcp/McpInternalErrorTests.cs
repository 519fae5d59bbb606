using System.Net;
using McpFunctions.Core.Connections;
using McpFunctions.Http.Mcp;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>A bug of ours during a request: JSON-RPC -32603 with a fixed message, the details only in the log, and the
/// host goes on serving. Own host, whose connection store throws a non-domain exception for one tenant.</summary>
public sealed class McpInternalErrorTests : IAsyncLifetime
{
    private const string BrokenTenant = "broken";

    /// <summary>What the simulated bug's exception says: the kind of text (hosts, queries) a caller must never see.</summary>
    private const string BugText = "simulated store bug near cosmos-internal.example: SELECT * FROM c WHERE c.pk = 'x'";

    private TestHost host = null!;

    public async Task InitializeAsync() => host = await TestHost.StartAsync(overrideServices: services =>
    {
        // Wraps the store the host registered (Cosmos behind the cache), whatever its factory.
        var registered = services.Last(d => d.ServiceType == typeof(IConnectionStore));
        services.Remove(registered);
        services.AddSingleton<IConnectionStore>(sp => new BrokenForOneTenant((IConnectionStore)registered.ImplementationFactory!(sp)));
    });

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Theory]
    [InlineData("tools/call", """{"name":"notion_get_bot_user","arguments":{}}""")]
    [InlineData("tools/list", "{}")]
    public async Task UnexpectedException_Returns32603WithAGenericMessage_AndTheHostKeepsServing(string method, string paramsJson)
    {
        var user = "user-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.For(user, BrokenTenant);

        var (status, body, _) = await McpRpc.PostAsync(host, token, $$"""{"jsonrpc":"2.0","id":7,"method":"{{method}}","params":{{paramsJson}}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(7, body.GetProperty("id").GetInt32());
        var error = body.GetProperty("error");
        Assert.Equal(-32603, error.GetProperty("code").GetInt32());
        Assert.Equal(McpDispatcher.InternalErrorMessage, error.GetProperty("message").GetString());
        Assert.False(error.TryGetProperty("data", out _));
        Assert.DoesNotContain("cosmos-internal", body.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(InvalidOperationException), body.ToString(), StringComparison.Ordinal);

        // The details are logged, once, as an error inside the request's scope.
        var logged = Assert.Single(host.Logs.Lines, l => l.Contains(BugText, StringComparison.Ordinal) && l.Contains($"UserId={user},", StringComparison.Ordinal));
        Assert.StartsWith("Error ", logged, StringComparison.Ordinal);
        Assert.Contains($"Operation=mcp:{method}", logged, StringComparison.Ordinal);

        // The host still answers: another tenant's calls, and the broken one again (not a crashed or poisoned host).
        var (token2, _) = await McpRpc.ConnectedUserAsync(host, "Unaffected");
        Assert.False(McpRpc.IsError(await McpRpc.ToolAsync(host, token2, "notion_get_bot_user")));
        Assert.Empty((await McpRpc.ResultAsync(host, token, "ping")).EnumerateObject());
        var again = await McpRpc.CallAsync(host, token, method, paramsJson);
        Assert.Equal(-32603, again.GetProperty("error").GetProperty("code").GetInt32());
    }

    /// <summary>The real store, except that reads and lists of <see cref="BrokenTenant"/> throw what a bug would.</summary>
    private sealed class BrokenForOneTenant(IConnectionStore inner) : IConnectionStore
    {
        public Task<StoredConnection?> ReadAsync(ConnectionKey key, CancellationToken cancellationToken) =>
            key.TenantId == BrokenTenant ? throw new InvalidOperationException(BugText) : inner.ReadAsync(key, cancellationToken);

        public Task<StoredConnection?> ReadLatestAsync(ConnectionKey key, CancellationToken cancellationToken) =>
            key.TenantId == BrokenTenant ? throw new InvalidOperationException(BugText) : inner.ReadLatestAsync(key, cancellationToken);

        public Task<IReadOnlyList<StoredConnection>> ListAsync(string tenantId, string userId, CancellationToken cancellationToken) =>
            tenantId == BrokenTenant ? throw new InvalidOperationException(BugText) : inner.ListAsync(tenantId, userId, cancellationToken);

        public Task<StoredConnection?> TryCreateAsync(Connection connection, CancellationToken cancellationToken) => inner.TryCreateAsync(connection, cancellationToken);

        public Task<StoredConnection?> TryReplaceAsync(Connection connection, string etag, CancellationToken cancellationToken) =>
            inner.TryReplaceAsync(connection, etag, cancellationToken);

        public Task<bool> DeleteAsync(ConnectionKey key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

        public Task<QueryPage> QueryDueForRefreshAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
            inner.QueryDueForRefreshAsync(now, limit, cancellationToken);

        public Task<QueryPage> QueryNotUnderKeyAsync(string keyId, int limit, CancellationToken cancellationToken) =>
            inner.QueryNotUnderKeyAsync(keyId, limit, cancellationToken);

        public Task<IReadOnlyDictionary<string, int>> CountByKeyAsync(CancellationToken cancellationToken) => inner.CountByKeyAsync(cancellationToken);
    }
}
