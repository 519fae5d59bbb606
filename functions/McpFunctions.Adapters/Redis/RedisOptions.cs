namespace McpFunctions.Adapters.Redis;

/// <summary>Setting <c>REDIS_CONNECTION_STRING</c>: a StackExchange.Redis configuration string.</summary>
/// <remarks>In Azure it comes from Key Vault: the pinned client (1.2.6) cannot authenticate with Entra tokens.</remarks>
public sealed class RedisOptions
{
    public string? ConnectionString { get; set; }
}
