using System.Security.Cryptography;
using System.Text;

namespace McpFunctions.Tests.Integration.Webhooks;

/// <summary>The receiver-side check exactly as docs/webhooks.md shows it in C# (keep the two identical).</summary>
public static class WebhookVerifier
{
    public static bool Verify(string secret, string signatureHeader, byte[] rawBody, TimeSpan tolerance, DateTimeOffset now)
    {
        string? t = null;
        var signatures = new List<string>();
        foreach (var part in signatureHeader.Split(','))
        {
            var pair = part.Split('=', 2);
            if (pair.Length == 2 && pair[0].Trim() == "t")
            {
                t = pair[1].Trim();
            }
            else if (pair.Length == 2 && pair[0].Trim() == "v1")
            {
                signatures.Add(pair[1].Trim());
            }
        }

        if (t is null || !long.TryParse(t, out var timestamp) || Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance.TotalSeconds)
        {
            return false; // missing, malformed, or outside the replay window
        }

        var signed = Encoding.UTF8.GetBytes(t + ".").Concat(rawBody).ToArray();
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return signatures.Any(s => s.Length == 64
            && s.All(Uri.IsHexDigit)
            && CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(s)));
    }
}
