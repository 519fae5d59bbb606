using System.Text.Encodings.Web;
using System.Text.Json;
using ModelContextProtocol;

namespace McpFunctions.Http.Mcp;

/// <summary>The MCP protocol versions this server speaks, newest first.</summary>
public static class McpProtocol
{
    // The SDK keeps its version list internal; these are the two the issue and the spec name.
    public static readonly IReadOnlyList<string> SupportedVersions = ["2025-11-25", "2025-06-18"];

    public static string Latest => SupportedVersions[0];

    public const string VersionHeader = "MCP-Protocol-Version";

    /// <summary>The SDK's wire options (its source-generated protocol types), writing strings with relaxed escaping.</summary>
    /// <remarks>The default encoder writes every <c>"</c> as <c>\u0022</c> and every non-ASCII letter as <c>\uXXXX</c>. A
    /// tool result carries the provider's JSON again as text, so that made answers up to three times the size, most of
    /// all for Portuguese text. Our answers are JSON (or one SSE event whose JSON keeps newlines escaped), never
    /// embedded in HTML, so the HTML-safe escaping buys nothing.</remarks>
    public static readonly JsonSerializerOptions Wire = CreateWireOptions();

    private static JsonSerializerOptions CreateWireOptions()
    {
        var options = new JsonSerializerOptions(McpJsonUtilities.DefaultOptions) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>The version to answer <c>initialize</c> with: the client's if we speak it, else our latest.</summary>
    public static string Negotiate(string? requested) =>
        requested is not null && SupportedVersions.Contains(requested) ? requested : Latest;
}
