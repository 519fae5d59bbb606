using McpFunctions.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace McpFunctions.Adapters.Redis;

/// <summary>Setting <c>REDIS_CONNECTION_STRING</c>: a StackExchange.Redis configuration string.</summary>
/// <remarks>In Azure it comes from Key Vault: Entra tokens need Microsoft.Azure.StackExchangeRedis, which our feed lacks.</remarks>
public sealed class RedisOptions : IValidatedOptions
{
    /// <summary>Bound from the root: the setting has a flat name, as azd outputs it.</summary>
    public const string Section = "";

    [ConfigurationKeyName("REDIS_CONNECTION_STRING")]
    public string? ConnectionString { get; set; }

    /// <remarks>Empty is allowed: without Redis each instance works alone (see the README).</remarks>
    public IReadOnlyList<string> Problems() => [];
}
