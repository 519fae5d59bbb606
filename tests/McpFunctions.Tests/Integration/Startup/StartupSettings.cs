using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary>A complete, valid configuration that needs no running servers: startup tests change one setting at a time.</summary>
internal static class StartupSettings
{
    public static Dictionary<string, string?> Valid() => new()
    {
        ["COSMOS:accountEndpoint"] = "https://127.0.0.1:1/",
        ["COSMOS:accountKey"] = "a2V5",
        // Nothing to create: startup must not wait on a Cosmos that is not there.
        ["COSMOS:createIfMissing"] = "false",
        ["REDIS_CONNECTION_STRING"] = "127.0.0.1:1",
        ["MCP_ENCRYPTION_KEY"] = Convert.ToBase64String(new byte[32]),
        ["Auth:SigningKey"] = TestTokens.SigningKey,
        ["Auth:Issuer"] = TestTokens.Issuer,
        ["Auth:Audience"] = TestTokens.Audience,
    };
}
