namespace McpFunctions.Http.Mcp;

/// <summary>The MCP protocol versions this server speaks, newest first.</summary>
public static class McpProtocol
{
    // The SDK keeps its version list internal; these are the two the issue and the spec name.
    public static readonly IReadOnlyList<string> SupportedVersions = ["2025-11-25", "2025-06-18"];

    public static string Latest => SupportedVersions[0];

    public const string VersionHeader = "MCP-Protocol-Version";

    /// <summary>The version to answer <c>initialize</c> with: the client's if we speak it, else our latest.</summary>
    public static string Negotiate(string? requested) =>
        requested is not null && SupportedVersions.Contains(requested) ? requested : Latest;
}
