using System.Text.Encodings.Web;
using System.Text.Json;
using ModelContextProtocol;

namespace McpFunctions.Http.Mcp;

/// <summary>The MCP protocol versions this server speaks, newest first, and the wire options it writes them with.</summary>
public static class McpProtocol
{
    /// <summary>Revisions whose requests each carry their version and capabilities in <c>_meta</c>: no handshake.</summary>
    /// <remarks>The SDK keeps its version and header constants internal, so ours are here.</remarks>
    public static readonly IReadOnlyList<string> PerRequestVersions = ["2026-07-28"];

    /// <summary>Revisions negotiated by <c>initialize</c>.</summary>
    public static readonly IReadOnlyList<string> InitializeVersions = ["2025-11-25", "2025-06-18"];

    /// <summary>Everything served on <c>/api/mcp</c>, as <c>server/discover</c> and version errors list it.</summary>
    public static readonly IReadOnlyList<string> SupportedVersions = [.. PerRequestVersions, .. InitializeVersions];

    /// <summary>What <c>initialize</c> offers a client asking for a revision we do not negotiate that way.</summary>
    public static string LatestInitializeVersion => InitializeVersions[0];

    public const string VersionHeader = "MCP-Protocol-Version";

    /// <summary>2026-07-28: the request's method, required on every request.</summary>
    public const string MethodHeader = "Mcp-Method";

    /// <summary>2026-07-28: <c>params.name</c> of <c>tools/call</c> (and <c>prompts/get</c>), plain or <c>=?base64?…?=</c>.</summary>
    public const string NameHeader = "Mcp-Name";

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

    /// <summary>The version to answer <c>initialize</c> with: the client's if <c>initialize</c> negotiates it, else our latest such.</summary>
    public static string Negotiate(string? requested) =>
        requested is not null && InitializeVersions.Contains(requested) ? requested : LatestInitializeVersion;
}
