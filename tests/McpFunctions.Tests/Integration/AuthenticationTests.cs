using System.Net;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;
using Microsoft.IdentityModel.Tokens;

namespace McpFunctions.Tests.Integration;

[Collection(LocalHostCollection.Name)]
public sealed class AuthenticationTests(LocalHostFixture fixture)
{
    public static TheoryData<string, string?> DefectiveTokens => new()
    {
        { "missing", null },
        { "not bearer", "Basic YWxpY2U6cHc=" },
        { "empty bearer", "Bearer " },
        { "garbage", "Bearer not.a.jwt" },
        { "unsigned alg none", "Bearer " + TestTokens.Unsigned() },
        { "alg HS512 not configured", "Bearer " + TestTokens.Custom(algorithm: SecurityAlgorithms.HmacSha512) },
        { "wrong signing key", "Bearer " + TestTokens.Custom(key: "another-signing-key-that-is-long-enough-for-a-signature-xyz-0123") },
        { "wrong audience", "Bearer " + TestTokens.Custom(audience: "someone-else") },
        { "wrong issuer", "Bearer " + TestTokens.Custom(issuer: "https://evil.example") },
        { "expired", "Bearer " + TestTokens.Custom(notBefore: DateTimeOffset.UtcNow.AddHours(-2), expires: DateTimeOffset.UtcNow.AddHours(-1)) },
        { "not yet valid", "Bearer " + TestTokens.Custom(notBefore: DateTimeOffset.UtcNow.AddHours(1), expires: DateTimeOffset.UtcNow.AddHours(2)) },
        { "no sub", "Bearer " + TestTokens.Custom(user: null) },
        { "no tenant and no default", "Bearer " + TestTokens.Custom(tenant: null) },
    };

    [Theory]
    [MemberData(nameof(DefectiveTokens))]
    public async Task EveryEndpoint_DefectiveToken_Returns401WithChallenge(string defect, string? authorization)
    {
        foreach (var (method, path) in new[] { ("GET", "/api/mcp/connections"), ("GET", "/api/mcp/notion/status"), ("POST", "/api/mcp/notion/connect"), ("DELETE", "/api/mcp/notion/disconnect") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            using var response = await fixture.Host.Http.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{defect}: {method} {path} answered {response.StatusCode}");
            Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("AUTH_INVALID_TOKEN", problem.GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task Health_IsAnonymous()
    {
        using var response = await fixture.Host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
