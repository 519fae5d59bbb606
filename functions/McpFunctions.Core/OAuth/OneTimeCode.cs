using System.Security.Cryptography;
using System.Text;

namespace McpFunctions.Core.OAuth;

/// <summary>Random one-time values (state, completion codes, PKCE verifiers) and the hashes we store instead of them.</summary>
public static class OneTimeCode
{
    /// <summary>256 bits, base64url (43 characters): unguessable, and a valid PKCE verifier (RFC 7636 §4.1).</summary>
    public static string New() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The id a value is stored under: SHA-256, base64url. A leaked store yields no usable value.</summary>
    public static string Hash(string value) => Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>The S256 code challenge of a PKCE verifier (RFC 7636 §4.2).</summary>
    public static string Challenge(string verifier) => Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    /// <summary>A value as we issue it: 43 base64url characters. Anything else is rejected before any lookup.</summary>
    public static bool IsWellFormed(string? value) =>
        value is { Length: 43 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
