using System.Text;

namespace McpFunctions.Http.Mcp;

/// <summary>Reads an <c>Mcp-Name</c> (or <c>Mcp-Param-*</c>) header value as 2026-07-28 transports send it: plain ASCII, or
/// <c>=?base64?…?=</c> holding the Base64 of the value's UTF-8 bytes.</summary>
public static class McpHeaderValue
{
    private const string Prefix = "=?base64?";
    private const string Suffix = "?=";

    /// <summary>The decoded value, with surrounding optional whitespace (RFC 9110) trimmed; false when the Base64 form is broken.</summary>
    public static bool TryDecode(string raw, out string value)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var trimmed = raw.Trim(' ', '\t');
        if (!trimmed.StartsWith(Prefix, StringComparison.Ordinal) || !trimmed.EndsWith(Suffix, StringComparison.Ordinal)
            || trimmed.Length < Prefix.Length + Suffix.Length)
        {
            value = trimmed;
            return true;
        }

        var encoded = trimmed[Prefix.Length..^Suffix.Length];
        var buffer = new byte[(encoded.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(encoded, buffer, out var written))
        {
            value = "";
            return false;
        }

        try
        {
            value = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(buffer, 0, written);
            return true;
        }
        catch (DecoderFallbackException)
        {
            value = "";
            return false;
        }
    }
}
