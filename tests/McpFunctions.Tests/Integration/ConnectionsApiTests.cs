using System.Net;
using System.Text;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration;

[Collection(LocalHostCollection.Name)]
public sealed class ConnectionsApiTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task Connect_Status_List_Disconnect_RoundTrip()
    {
        var (token, apiKey) = NewUser("acme", "Acme Workspace");

        using var connect = await Connect(token, $$"""{"api_key":"{{apiKey}}"}""");
        Assert.Equal(HttpStatusCode.OK, connect.StatusCode);
        var connected = await ReadJson(connect);
        Assert.True(connected.GetProperty("connected").GetBoolean());
        Assert.Equal("default", connected.GetProperty("account").GetString());
        Assert.Equal("active", connected.GetProperty("status").GetString());
        Assert.Equal("api_key", connected.GetProperty("auth_type").GetString());
        Assert.Equal("Acme Workspace", connected.GetProperty("metadata").GetProperty("workspace_name").GetString());

        using var status = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", token);
        var statusBody = await status.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.DoesNotContain(apiKey, statusBody, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey[..12], statusBody, StringComparison.Ordinal);
        Assert.True(JsonDocument.Parse(statusBody).RootElement.GetProperty("connected").GetBoolean());

        using var list = await Host.SendAsync(HttpMethod.Get, "/api/mcp/connections", token);
        var connections = (await ReadJson(list)).GetProperty("connections");
        Assert.Equal(1, connections.GetArrayLength());
        Assert.Equal("notion", connections[0].GetProperty("provider").GetString());

        using var disconnect = await Host.SendAsync(HttpMethod.Delete, "/api/mcp/notion/disconnect", token);
        Assert.Equal(HttpStatusCode.OK, disconnect.StatusCode);
        Assert.Contains("\"disconnected\":true", await disconnect.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // An API key is the user's own integration at Notion: nothing for us to revoke there.
        Assert.Contains("\"revocation\":\"not_applicable\"", await disconnect.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var again = await Host.SendAsync(HttpMethod.Delete, "/api/mcp/notion/disconnect", token);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("\"disconnected\":false", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var after = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", token);
        Assert.False((await ReadJson(after)).GetProperty("connected").GetBoolean());
        using var emptyList = await Host.SendAsync(HttpMethod.Get, "/api/mcp/connections", token);
        Assert.Equal(0, (await ReadJson(emptyList)).GetProperty("connections").GetArrayLength());
    }

    [Fact]
    public async Task Connect_SeveralAccounts_AreKeptApart()
    {
        var (token, personalKey) = NewUser("acme", "Personal");
        var workKey = Host.Notion.AddIntegration("Work");

        using var personal = await Connect(token, $$"""{"api_key":"{{personalKey}}"}""");
        using var work = await Connect(token, $$"""{"api_key":"{{workKey}}","account":"work"}""");
        Assert.Equal(HttpStatusCode.OK, personal.StatusCode);
        Assert.Equal(HttpStatusCode.OK, work.StatusCode);

        using var workStatus = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status?account=work", token);
        Assert.Equal("Work", (await ReadJson(workStatus)).GetProperty("metadata").GetProperty("workspace_name").GetString());
        using var defaultStatus = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", token);
        Assert.Equal("Personal", (await ReadJson(defaultStatus)).GetProperty("metadata").GetProperty("workspace_name").GetString());

        using var disconnectWork = await Host.SendAsync(HttpMethod.Delete, "/api/mcp/notion/disconnect?account=work", token);
        using var list = await Host.SendAsync(HttpMethod.Get, "/api/mcp/connections", token);
        var accounts = (await ReadJson(list)).GetProperty("connections").EnumerateArray().Select(c => c.GetProperty("account").GetString()).ToList();
        Assert.Equal(["default"], accounts);
    }

    [Fact]
    public async Task Isolation_OtherUsersAndTenants_NeverSeeAConnection()
    {
        var user = "user-" + Guid.NewGuid().ToString("N");
        var alice = TestTokens.For(user, "acme");
        var sameUserOtherTenant = TestTokens.For(user, "globex");
        var bob = TestTokens.For("bob-" + Guid.NewGuid().ToString("N"), "acme");
        var key = Host.Notion.AddIntegration("Alice's");

        using var connect = await Connect(alice, $$"""{"api_key":"{{key}}"}""");
        Assert.Equal(HttpStatusCode.OK, connect.StatusCode);

        foreach (var other in new[] { bob, sameUserOtherTenant })
        {
            using var status = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", other);
            Assert.False((await ReadJson(status)).GetProperty("connected").GetBoolean());
            using var list = await Host.SendAsync(HttpMethod.Get, "/api/mcp/connections", other);
            Assert.Equal(0, (await ReadJson(list)).GetProperty("connections").GetArrayLength());
            // Trying the owner's ids as query values changes nothing: identity comes from the token only.
            using var sneaky = await Host.SendAsync(HttpMethod.Delete, $"/api/mcp/notion/disconnect?account=default&user={user}&tenant=acme", other);
            Assert.Equal(HttpStatusCode.OK, sneaky.StatusCode);
            Assert.Contains("\"disconnected\":false", await sneaky.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var stillThere = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", alice);
        Assert.True((await ReadJson(stillThere)).GetProperty("connected").GetBoolean());
    }

    [Fact]
    public async Task Connect_Concurrently_SameAccount_EndsInOneConsistentRecord()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        var keys = Enumerable.Range(0, 8).Select(i => Host.Notion.AddIntegration($"Workspace {i}")).ToList();

        var responses = await Task.WhenAll(keys.Select(k => Connect(token, $$"""{"api_key":"{{k}}"}""")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        using var list = await Host.SendAsync(HttpMethod.Get, "/api/mcp/connections", token);
        var connections = (await ReadJson(list)).GetProperty("connections");
        Assert.Equal(1, connections.GetArrayLength());
        // The surviving record must be whole: its metadata belongs to the key it stores (status decrypts it).
        using var status = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", token);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        var workspace = (await ReadJson(status)).GetProperty("metadata").GetProperty("workspace_name").GetString();
        var store = Host.Services.GetStore();
        var stored = await store.ReadAsync(new("acme", TestUserOf(token), "notion", "default"), CancellationToken.None);
        var credential = await Host.Services.GetProtector().UnprotectAsync(stored!.Connection.Credential, stored.Connection.Key, CancellationToken.None);
        Assert.Equal($"Workspace {keys.IndexOf(credential.ApiKey!)}", workspace);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Connect_StoredDocumentAndLogs_HoldNoPlaintextKey()
    {
        var (token, apiKey) = NewUser("acme", "Secretive");
        using var connect = await Connect(token, $$"""{"api_key":"{{apiKey}}"}""");
        Assert.Equal(HttpStatusCode.OK, connect.StatusCode);
        using var status = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", token);

        var documents = await Host.RawConnectionDocumentsAsync();
        var all = string.Join('\n', documents);
        Assert.Contains("Secretive", all, StringComparison.Ordinal); // the search below looks at the right documents
        Assert.DoesNotContain(apiKey, all, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(apiKey)), all, StringComparison.Ordinal);
        Assert.NotEmpty(Host.Logs.Lines);
        Assert.DoesNotContain(apiKey, Host.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_RejectedKey_Returns400WithProviderReason_AndStoresNothing()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        using var response = await Connect(token, """{"api_key":"secret_not_a_real_key"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ReadJson(response);
        Assert.Equal("PROVIDER_REJECTED_CREDENTIAL", problem.GetProperty("code").GetString());
        Assert.Contains("API token is invalid", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(401, problem.GetProperty("provider_status").GetInt32());
        Assert.DoesNotContain("secret_not_a_real_key", Host.Logs.All, StringComparison.Ordinal);

        using var status = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", token);
        Assert.False((await ReadJson(status)).GetProperty("connected").GetBoolean());
    }

    [Theory]
    [InlineData("", "VALIDATION_ERROR", 400)]
    [InlineData("{not json", "VALIDATION_ERROR", 400)]
    [InlineData("null", "VALIDATION_ERROR", 400)]
    [InlineData("[]", "VALIDATION_ERROR", 400)]
    [InlineData("""{"api_key":123}""", "VALIDATION_ERROR", 400)]
    [InlineData("""{"api_key":["a"]}""", "VALIDATION_ERROR", 400)]
    [InlineData("""{"api_key":""}""", "VALIDATION_ERROR", 400)]
    [InlineData("""{"api_key":"   "}""", "VALIDATION_ERROR", 400)]
    [InlineData("""{"api_key":"has space"}""", "VALIDATION_ERROR", 400)]
    [InlineData("""{"apikey":"secret_x"}""", "VALIDATION_ERROR", 400)]
    [InlineData("""{"api_key":"secret_x","account":"../etc"}""", "VALIDATION_ERROR", 400)]
    [InlineData("""{"api_key":"secret_x","account":7}""", "VALIDATION_ERROR", 400)]
    public async Task Connect_BadBody_ReturnsStableCode_AndStoresNothing(string body, string code, int status)
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        using var response = await Connect(token, body);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, (await ReadJson(response)).GetProperty("code").GetString());
        using var list = await Host.SendAsync(HttpMethod.Get, "/api/mcp/connections", token);
        Assert.Equal(0, (await ReadJson(list)).GetProperty("connections").GetArrayLength());
    }

    [Fact]
    public async Task Connect_OversizedBody_Returns413()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        var body = $$"""{"api_key":"{{new string('k', 65 * 1024)}}"}""";
        using var response = await Connect(token, body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("PAYLOAD_TOO_LARGE", (await ReadJson(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Connect_ChunkedOversizedBody_Returns413()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(new string(' ', 100 * 1024) + "{}")));
        content.Headers.ContentType = new("application/json");
        using var request = Host.Request(HttpMethod.Post, "/api/mcp/notion/connect", token, content);
        request.Headers.TransferEncodingChunked = true;
        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData(HttpMethod_Post, "/api/mcp/nope/connect")]
    [InlineData(HttpMethod_Get, "/api/mcp/nope/status")]
    [InlineData(HttpMethod_Delete, "/api/mcp/nope/disconnect")]
    public async Task UnknownProvider_Returns404ProviderNotFound(string method, string path)
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        using var response = await Host.SendAsync(new HttpMethod(method), path, token, Json("""{"api_key":"secret_x"}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await ReadJson(response);
        Assert.Equal("PROVIDER_NOT_FOUND", problem.GetProperty("code").GetString());
        Assert.Contains("notion", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_TamperedCiphertext_ReportsDecryptFailed_AndReconnectRepairsIt()
    {
        var (token, apiKey) = NewUser("acme", "Tampered");
        using var connect = await Connect(token, $$"""{"api_key":"{{apiKey}}"}""");
        var key = new McpFunctions.Core.Connections.ConnectionKey("acme", TestUserOf(token), "notion", "default");
        var store = Host.Services.GetStore();
        var stored = await store.ReadAsync(key, CancellationToken.None);
        var sealedKey = stored!.Connection.Credential;
        var flipped = Convert.FromBase64String(sealedKey.Ciphertext);
        flipped[0] ^= 1;
        var tampered = stored.Connection with { Credential = sealedKey with { Ciphertext = Convert.ToBase64String(flipped) } };
        Assert.NotNull(await store.TryReplaceAsync(tampered, stored.ETag, CancellationToken.None));

        using var status = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", token);
        Assert.Equal(HttpStatusCode.Conflict, status.StatusCode);
        Assert.Equal("CREDENTIAL_DECRYPT_FAILED", (await ReadJson(status)).GetProperty("code").GetString());
        Assert.Contains(Host.Logs.Lines, l => l.Contains("failed to decrypt", StringComparison.Ordinal) && l.Contains(TestUserOf(token), StringComparison.Ordinal));

        using var reconnect = await Connect(token, $$"""{"api_key":"{{apiKey}}"}""");
        Assert.Equal(HttpStatusCode.OK, reconnect.StatusCode);
        using var repaired = await Host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", token);
        Assert.Equal(HttpStatusCode.OK, repaired.StatusCode);
    }

    [Fact]
    public async Task Logs_CarryTenantUserProviderAndOperation()
    {
        var (token, apiKey) = NewUser("acme", "Logged");
        using var connect = await Connect(token, $$"""{"api_key":"{{apiKey}}"}""");
        var user = TestUserOf(token);

        var line = Assert.Single(Host.Logs.Lines, l => l.Contains("Connected notion", StringComparison.Ordinal) && l.Contains(user, StringComparison.Ordinal));
        Assert.Contains("TenantId=acme", line, StringComparison.Ordinal);
        Assert.Contains("Operation=connect", line, StringComparison.Ordinal);
        Assert.Contains("Provider=notion", line, StringComparison.Ordinal);
        Assert.Contains("Account=default", line, StringComparison.Ordinal);
    }

    private const string HttpMethod_Post = "POST";
    private const string HttpMethod_Get = "GET";
    private const string HttpMethod_Delete = "DELETE";

    private (string Token, string ApiKey) NewUser(string tenant, string workspace)
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), tenant);
        return (token, Host.Notion.AddIntegration(workspace));
    }

    private Task<HttpResponseMessage> Connect(string token, string body) =>
        Host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token, Json(body));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadJson(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static string TestUserOf(string token) =>
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Subject;
}
