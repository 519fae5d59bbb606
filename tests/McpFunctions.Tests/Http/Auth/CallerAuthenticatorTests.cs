using McpFunctions.Http.Auth;
using McpFunctions.StandIns.EntraId;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpFunctions.Tests.Http.Auth;

public sealed class CallerAuthenticatorTests : IAsyncLifetime
{
    private EntraIdStandIn entra = null!;

    public async Task InitializeAsync() => entra = await EntraIdStandIn.StartAsync();

    public async Task DisposeAsync() => await entra.DisposeAsync();

    [Fact]
    public async Task Authority_ValidRs256Token_YieldsCallerFromSubAndTid()
    {
        var authenticator = ForAuthority();
        var result = await authenticator.AuthenticateAsync("Bearer " + EntraToken());

        Assert.Equal("alice", result.Caller?.UserId);
        Assert.Equal("contoso", result.Caller?.TenantId);
    }

    [Fact]
    public async Task Authority_TokenSignedByAnotherKey_IsRejected()
    {
        using var other = System.Security.Cryptography.RSA.Create(2048);
        var result = await ForAuthority().AuthenticateAsync("Bearer " + EntraToken(signingKey: other));

        Assert.Null(result.Caller);
        Assert.Equal("invalid_token", result.Error);
    }

    [Fact]
    public async Task Authority_WrongIssuer_IsRejected()
    {
        var result = await ForAuthority().AuthenticateAsync("Bearer " + EntraToken(issuer: "https://login.example/other/v2.0"));

        Assert.Null(result.Caller);
        Assert.Equal("The token's issuer is not trusted.", result.ErrorDescription);
    }

    [Fact]
    public async Task Authority_Hs256TokenWithPublicKeyAsSecret_IsRejected()
    {
        // The classic algorithm-confusion attack: an HS256 token "signed" with the issuer's public key.
        var publicKey = entra.SigningKey.ExportSubjectPublicKeyInfo();
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = entra.Issuer.ToString().TrimEnd('/'),
            Audience = "api://mcpfunctions",
            Claims = new Dictionary<string, object> { ["sub"] = "mallory", ["tid"] = "contoso" },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(publicKey), SecurityAlgorithms.HmacSha256),
        });

        var result = await ForAuthority().AuthenticateAsync("Bearer " + forged);

        Assert.Null(result.Caller);
    }

    [Fact]
    public async Task DefaultTenant_TokenWithoutTenantClaim_UsesIt()
    {
        var options = TestTokens.Options;
        options.DefaultTenant = "solo";
        var authenticator = new CallerAuthenticator(Options.Create(options));

        var result = await authenticator.AuthenticateAsync("Bearer " + TestTokens.Custom(tenant: null));

        Assert.Equal("solo", result.Caller?.TenantId);
    }

    [Fact]
    public async Task TenantClaim_IsConfigurable()
    {
        var options = TestTokens.Options;
        options.TenantClaim = "org";
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = TestTokens.Issuer,
            Audience = TestTokens.Audience,
            Claims = new Dictionary<string, object> { ["sub"] = "alice", ["org"] = "initech", ["tid"] = "ignored" },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(TestTokens.SigningKey)), SecurityAlgorithms.HmacSha256),
        });

        var result = await new CallerAuthenticator(Options.Create(options)).AuthenticateAsync("Bearer " + token);

        Assert.Equal("initech", result.Caller?.TenantId);
    }

    [Theory]
    [InlineData(null, null, "Set exactly one")]
    [InlineData("short", "iss", "at least 32 bytes")]
    [InlineData("a-signing-key-that-is-long-enough-0123456789", null, "Auth:Issuer is required")]
    public void Options_Invalid_NameTheSetting(string? key, string? issuer, string expected)
    {
        var options = new AuthOptions { SigningKey = key, Issuer = issuer, Audience = "aud" };

        Assert.Contains(options.Problems(), p => p.Contains(expected, StringComparison.Ordinal));
    }

    private CallerAuthenticator ForAuthority() => new(Options.Create(new AuthOptions
    {
        Authority = entra.Issuer,
        Audience = "api://mcpfunctions",
    }));

    private string EntraToken(System.Security.Cryptography.RSA? signingKey = null, string? issuer = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? entra.Issuer.ToString().TrimEnd('/'),
            Audience = "api://mcpfunctions",
            Expires = DateTime.UtcNow.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["sub"] = "alice", ["tid"] = "contoso" },
            SigningCredentials = new SigningCredentials(
                new RsaSecurityKey(signingKey ?? entra.SigningKey) { KeyId = EntraIdStandIn.KeyId }, SecurityAlgorithms.RsaSha256),
        });
}
