using System.Text;
using McpFunctions.Core.Configuration;
using McpFunctions.Core.Security;

namespace McpFunctions.Http.Auth;

/// <summary>Settings of section <c>Auth</c>: how callers' bearer JWTs are validated.</summary>
/// <remarks>Exactly one mode: a shared HS256 <see cref="SigningKey"/> with <see cref="Issuer"/>, or an
/// OpenID Connect <see cref="Authority"/> whose metadata and JWKS give issuer and keys (e.g. Entra ID).</remarks>
public sealed class AuthOptions : IValidatedOptions
{
    public const string Section = "Auth";
    public const int MinSigningKeyBytes = 32;

    /// <summary>Shared secret for HS256 tokens (at least 32 bytes of UTF-8). Secret.</summary>
    public string? SigningKey { get; set; }

    public string? Issuer { get; set; }

    public string? Audience { get; set; }

    /// <summary>OpenID Connect issuer URL; its <c>/.well-known/openid-configuration</c> is fetched.</summary>
    public Uri? Authority { get; set; }

    /// <summary>Accepted <c>alg</c> values; defaults to HS256 with a signing key, RS256 with an authority.</summary>
    public IList<string> Algorithms { get; } = [];

    /// <summary>The claim that carries the tenant id.</summary>
    public string TenantClaim { get; set; } = "tid";

    /// <summary>Tenant used when a token has no tenant claim; without it such tokens are rejected.</summary>
    public string? DefaultTenant { get; set; }

    public int ClockSkewSeconds { get; set; } = 30;

    /// <remarks>Blank entries are ignored: an empty <c>Auth__Algorithms__0</c> (as in a copied sample) means "the default",
    /// not "accept an algorithm named ''", which would refuse every token.</remarks>
    public IReadOnlyList<string> EffectiveAlgorithms =>
        Algorithms.Where(a => !string.IsNullOrWhiteSpace(a)).ToList() is { Count: > 0 } configured
            ? configured
            : Authority is null ? ["HS256"] : ["RS256"];

    /// <summary>Every problem with these settings, each naming its setting; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        var hasKey = !string.IsNullOrEmpty(SigningKey);
        if (hasKey == (Authority is not null))
        {
            problems.Add("Set exactly one of Auth:SigningKey (HS256) or Auth:Authority (OpenID Connect).");
        }

        if (hasKey && Encoding.UTF8.GetByteCount(SigningKey!) < MinSigningKeyBytes)
        {
            problems.Add($"Auth:SigningKey must be at least {MinSigningKeyBytes} bytes.");
        }

        if (hasKey && string.IsNullOrWhiteSpace(Issuer))
        {
            problems.Add("Auth:Issuer is required with Auth:SigningKey.");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            problems.Add("Auth:Audience is required.");
        }

        if (string.IsNullOrWhiteSpace(TenantClaim))
        {
            problems.Add("Auth:TenantClaim must not be empty.");
        }

        if (Authority is { } authority && !SecureUrl.IsAllowed(authority))
        {
            problems.Add("Auth:Authority must be an https URL (http only on loopback).");
        }

        return problems;
    }
}
