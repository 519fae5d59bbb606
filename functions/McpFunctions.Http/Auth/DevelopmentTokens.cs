using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpFunctions.Http.Auth;

/// <summary>Mints HS256 tokens with the configured shared key: for <c>./run.sh token</c> and tests.</summary>
public static class DevelopmentTokens
{
    public static string Mint(AuthOptions options, string userId, string tenantId, TimeSpan lifetime, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(options.SigningKey))
        {
            throw new InvalidOperationException("Minting a token needs Auth:SigningKey (HS256 mode).");
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Claims = new Dictionary<string, object> { ["sub"] = userId, [options.TenantClaim] = tenantId },
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.SigningKey)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
