using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace McpFunctions.Adapters.Webhooks;

/// <summary>The <c>X-McpFunctions-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body"&gt;</c>.</summary>
/// <remarks>The timestamp is signed with the body so a captured delivery cannot be replayed later with a fresh
/// <c>t</c>; receivers reject old timestamps (docs/webhooks.md).</remarks>
public static class WebhookSignature
{
    public const string Header = "X-McpFunctions-Signature";

    public static string Create(ReadOnlySpan<byte> secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var prefix = Encoding.ASCII.GetBytes(t + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return $"t={t},v1={Convert.ToHexStringLower(HMACSHA256.HashData(secret, signed))}";
    }
}
