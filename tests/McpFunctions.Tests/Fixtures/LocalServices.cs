namespace McpFunctions.Tests.Fixtures;

/// <summary>The real local servers <c>./test.sh</c> starts (Cosmos-compatible server, redis-server), from its environment.</summary>
public static class LocalServices
{
    public static string CosmosEndpoint => Require("COSMOS__accountEndpoint");

    public static string CosmosKey => Require("COSMOS__accountKey");

    public static string RedisConnectionString => Require("REDIS_CONNECTION_STRING");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. Run the tests with ./test.sh, which starts the local Cosmos-compatible server and redis-server and exports their addresses.");
}
