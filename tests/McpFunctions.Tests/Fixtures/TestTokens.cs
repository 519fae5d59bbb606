using System.Text;
using McpFunctions.Http.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpFunctions.Tests.Fixtures;

/// <summary>Tokens for the test hosts: valid ones, and each defect a caller could present.</summary>
public static class TestTokens
{
    // 64+ bytes, so an HS512 token can be signed with this very key: only the alg pin may reject it.
    public const string SigningKey = "test-signing-key-that-is-long-enough-for-hs512-too-0123456789abcdef";
    public const string Issuer = "mcpfunctions-tests";
    public const string Audience = "mcpfunctions";

    public static AuthOptions Options => new() { SigningKey = SigningKey, Issuer = Issuer, Audience = Audience };

    public static string For(string user, string tenant) =>
        DevelopmentTokens.Mint(Options, user, tenant, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);

    /// <summary>A valid token whose <c>roles</c> claim holds <paramref name="roles"/>.</summary>
    public static string WithRoles(string user, string tenant, params string[] roles) => Custom(user, tenant, roles: roles);

    /// <summary>A token built from parts, for the defects a valid mint cannot produce.</summary>
    public static string Custom(
        string? user = "alice",
        string? tenant = "acme",
        string issuer = Issuer,
        string audience = Audience,
        string key = SigningKey,
        string algorithm = SecurityAlgorithms.HmacSha256,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? expires = null,
        IReadOnlyList<string>? roles = null)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>();
        if (user is not null)
        {
            claims["sub"] = user;
        }

        if (tenant is not null)
        {
            claims["tid"] = tenant;
        }

        if (roles is not null)
        {
            claims["roles"] = roles.ToArray();
        }

        var nbf = notBefore ?? now.AddMinutes(-1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = nbf.UtcDateTime,
            NotBefore = nbf.UtcDateTime,
            Expires = (expires ?? now.AddMinutes(10)).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), algorithm),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with otherwise valid claims.</summary>
    public static string Unsigned(string user = "alice", string tenant = "acme")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var payload = Base64Url($"{{\"sub\":\"{user}\",\"tid\":\"{tenant}\",\"iss\":\"{Issuer}\",\"aud\":\"{Audience}\",\"nbf\":{now - 60},\"exp\":{now + 600}}}");
        return $"{header}.{payload}.";
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(json);
}
