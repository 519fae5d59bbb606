using System.Security.Claims;
using System.Text;
using McpFunctions.Core.Connections;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace McpFunctions.Http.Auth;

/// <summary>Turns an <c>Authorization: Bearer</c> header into a <see cref="Caller"/>, or says why not.</summary>
/// <remarks>Done in the endpoint layer, not ASP.NET Core middleware, because the Functions worker runs
/// its own pipeline: middleware registered on Kestrel would silently not run in Azure.</remarks>
public sealed class CallerAuthenticator
{
    private readonly AuthOptions options;
    private readonly JsonWebTokenHandler handler = new();
    private readonly TokenValidationParameters parameters;

    public CallerAuthenticator(IOptions<AuthOptions> options)
    {
        this.options = options.Value;
        parameters = new TokenValidationParameters
        {
            ValidAudience = this.options.Audience,
            ValidateAudience = true,
            ValidateIssuer = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidAlgorithms = this.options.EffectiveAlgorithms,
            ClockSkew = TimeSpan.FromSeconds(this.options.ClockSkewSeconds),
            NameClaimType = "sub",
        };
        if (this.options.Authority is { } authority)
        {
            var metadata = new Uri(authority, authority.AbsolutePath.TrimEnd('/') + "/.well-known/openid-configuration");
            parameters.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                metadata.ToString(),
                new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever { RequireHttps = !authority.IsLoopback });
        }
        else
        {
            parameters.ValidIssuer = this.options.Issuer;
            parameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(this.options.SigningKey!));
        }
    }

    public async Task<Authentication> AuthenticateAsync(string? authorizationHeader)
    {
        const string scheme = "Bearer ";
        if (string.IsNullOrEmpty(authorizationHeader))
        {
            return Authentication.Fail("missing_token", "An Authorization: Bearer token is required.");
        }

        if (!authorizationHeader.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || authorizationHeader.Length == scheme.Length)
        {
            return Authentication.Fail("invalid_request", "The Authorization header must be 'Bearer <token>'.");
        }

        var token = authorizationHeader[scheme.Length..].Trim();
        var result = await handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            // The reason only: IdentityModel's messages can quote token contents, which stay out of responses.
            return Authentication.Fail("invalid_token", Describe(result.Exception));
        }

        var identity = result.ClaimsIdentity;
        var userId = identity.FindFirst("sub")?.Value;
        if (string.IsNullOrWhiteSpace(userId))
        {
            return Authentication.Fail("invalid_token", "The token has no 'sub' claim.");
        }

        var tenantId = identity.FindFirst(options.TenantClaim)?.Value ?? options.DefaultTenant;
        if (string.IsNullOrWhiteSpace(tenantId))
        {
            return Authentication.Fail("invalid_token", $"The token has no '{options.TenantClaim}' claim and no default tenant is configured.");
        }

        if (userId.Length > 256 || tenantId.Length > 256)
        {
            return Authentication.Fail("invalid_token", "The token's subject or tenant is too long.");
        }

        var grants = identity.FindAll("roles").Concat(identity.FindAll("role"))
            .Select(c => c.Value)
            .Concat(identity.FindAll("scp").Concat(identity.FindAll("scope")).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .ToHashSet(StringComparer.Ordinal);
        return Authentication.Success(new Caller(tenantId, userId, grants), identity);
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenNotYetValidException => "The token is not valid yet.",
        SecurityTokenInvalidAudienceException => "The token's audience is not this API.",
        SecurityTokenInvalidIssuerException => "The token's issuer is not trusted.",
        SecurityTokenInvalidAlgorithmException => "The token's signing algorithm is not accepted.",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The token's signature is invalid.",
        SecurityTokenNoExpirationException => "The token has no expiry.",
        SecurityTokenMalformedException or ArgumentException => "The token is malformed.",
        _ => "The token is invalid.",
    };
}

/// <summary>The outcome of authenticating a request.</summary>
public sealed record Authentication(Caller? Caller, string? Error, string? ErrorDescription, ClaimsIdentity? Identity)
{
    public static Authentication Success(Caller caller, ClaimsIdentity identity) => new(caller, null, null, identity);

    public static Authentication Fail(string error, string description) => new(null, error, description, null);
}
