namespace McpFunctions.Adapters.Redis;

/// <summary>Setting <c>REDIS_CONNECTION_STRING</c>: a StackExchange.Redis configuration string.</summary>
/// <remarks>In Azure it comes from Key Vault: Entra tokens need Microsoft.Azure.StackExchangeRedis, which our feed lacks.</remarks>
public sealed class RedisOptions
{
    public string? ConnectionString { get; set; }
}
