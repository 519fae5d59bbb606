using McpFunctions.Core.Configuration;
using McpFunctions.Core.Security;

namespace McpFunctions.Http.Mcp;

/// <summary>Settings of section <c>Mcp</c>: the MCP endpoint's transport and discovery.</summary>
public sealed class McpOptions : IValidatedOptions
{
    public const string Section = "Mcp";

    /// <summary>Browser origins allowed to call <c>/api/mcp</c>; requests without Origin (servers) are always allowed.</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>The public base URL (scheme://host), when a proxy hides it from the request; used in metadata URLs.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>Authorization servers advertised in the protected resource metadata; defaults to Auth:Authority or Auth:Issuer.</summary>
    public IList<string> AuthorizationServers { get; } = [];

    /// <summary>Scopes a caller's token needs here, advertised as <c>scopes_supported</c> in the protected-resource metadata and
    /// as <c>scope</c> in 401 challenges; empty (the default) when the token's audience alone admits a caller.</summary>
    public IList<string> ScopesSupported { get; } = [];

    /// <summary>Tools per <c>tools/list</c> page.</summary>
    public int ToolsPageSize { get; set; } = 100;

    /// <summary>Largest JSON-RPC message accepted.</summary>
    public int MaxRequestBytes { get; set; } = 256 * 1024;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (ToolsPageSize is < 1 or > 1000)
        {
            problems.Add("Mcp:ToolsPageSize must be 1..1000.");
        }

        if (MaxRequestBytes is < 1024 or > 16 * 1024 * 1024)
        {
            problems.Add("Mcp:MaxRequestBytes must be 1024..16777216.");
        }

        if (PublicBaseUrl is { } url && !SecureUrl.IsAllowed(url))
        {
            problems.Add("Mcp:PublicBaseUrl must be an absolute https URL (http only on loopback).");
        }

        return problems;
    }
}
