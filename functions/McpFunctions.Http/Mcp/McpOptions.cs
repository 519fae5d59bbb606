namespace McpFunctions.Http.Mcp;

/// <summary>Settings of section <c>Mcp</c>: the MCP endpoint's transport and discovery.</summary>
public sealed class McpOptions
{
    public const string Section = "Mcp";

    /// <summary>Browser origins allowed to call <c>/api/mcp</c>; requests without Origin (servers) are always allowed.</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>The public base URL (scheme://host), when a proxy hides it from the request; used in metadata URLs.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>Authorization servers advertised in the protected resource metadata; defaults to Auth:Authority or Auth:Issuer.</summary>
    public IList<string> AuthorizationServers { get; } = [];

    /// <summary>Tools per <c>tools/list</c> page.</summary>
    public int ToolsPageSize { get; set; } = 100;

    /// <summary>Largest JSON-RPC message accepted.</summary>
    public int MaxRequestBytes { get; set; } = 256 * 1024;
}
