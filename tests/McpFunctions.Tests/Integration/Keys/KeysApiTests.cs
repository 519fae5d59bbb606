using System.Net;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Http.Admin;
using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Keys.KeyTestSupport;

namespace McpFunctions.Tests.Integration.Keys;

/// <summary>The admin key endpoints on the shared LocalHost (local key ring): authentication, authorization, input checks.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class KeysApiTests(LocalHostFixture fixture)
{
    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", KeysApi.ReportRoute },
        { "POST", KeysApi.RotateRoute },
        { "POST", KeysApi.RotateRoute + "?reload=true" },
        { "POST", KeysApi.RewrapRoute },
    };

    private TestHost Host => fixture.Host;

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithoutToken_401WithBearerChallenge(string method, string path)
    {
        using var response = await Host.SendAsync(new HttpMethod(method), path, token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("AUTH_INVALID_TOKEN", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_UserWithoutAdminRole_403ForbiddenNamingTheRole(string method, string path)
    {
        foreach (var token in new[] { TestTokens.For("plain-user", "acme"), TestTokens.WithRoles("other-user", "acme", "McpFunctions.Reader") })
        {
            var (status, problem) = await SendAsync(Host, new HttpMethod(method), path, token);

            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Equal("FORBIDDEN", problem.GetProperty("code").GetString());
            Assert.Contains(AdminOptions.DefaultRole, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Report_AdminRole_200WithLocalRingAndItsCurrentKey()
    {
        var report = await ReportAsync(Host);

        var current = LocalKeyRing.KeyIdFor(Convert.FromBase64String(Host.EncryptionKey));
        Assert.Equal("Local", report.GetProperty("source").GetString());
        Assert.False(report.GetProperty("can_rotate").GetBoolean());
        Assert.Equal(current, report.GetProperty("current_key_id").GetString());
        Assert.True(report.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == current).GetProperty("current").GetBoolean());
        Assert.False(report.TryGetProperty("added_key_id", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?reload=true")]
    [InlineData("?reload=false")]
    public async Task Rotate_LocalRing_409KeyRotationUnsupportedWithAdvice(string query)
    {
        var (status, problem) = await SendAsync(Host, HttpMethod.Post, KeysApi.RotateRoute + query, AdminToken());

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("KEY_ROTATION_UNSUPPORTED", problem.GetProperty("code").GetString());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("MCP_ENCRYPTION_KEY_PREVIOUS", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Host.EncryptionKey, detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KeysApi.RotateRoute + "?reload=yes")]
    [InlineData(KeysApi.RewrapRoute + "?max=0")]
    [InlineData(KeysApi.RewrapRoute + "?max=2001")]
    [InlineData(KeysApi.RewrapRoute + "?max=ten")]
    public async Task AdminCall_BadQuery_400ValidationError(string path)
    {
        var (status, problem) = await SendAsync(Host, HttpMethod.Post, path, AdminToken());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("VALIDATION_ERROR", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Rewrap_LocalRingNothingOld_200CompleteWithNothingToDo()
    {
        var pass = await RewrapAsync(Host, max: 50);

        Assert.Equal(LocalKeyRing.KeyIdFor(Convert.FromBase64String(Host.EncryptionKey)), pass.GetProperty("current_key_id").GetString());
        Assert.True(pass.GetProperty("complete").GetBoolean());
        Assert.Equal(0, pass.GetProperty("rewrapped").GetInt32());
        Assert.Equal(0, pass.GetProperty("failed").GetInt32());
        Assert.Empty(pass.GetProperty("failed_by_key").EnumerateObject());
    }
}
