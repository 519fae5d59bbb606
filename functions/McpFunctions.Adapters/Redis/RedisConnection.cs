using McpFunctions.Core.Health;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace McpFunctions.Adapters.Redis;

/// <summary>One shared multiplexer, connected lazily so that a Redis outage never stops startup.</summary>
public sealed class RedisConnection : IHealthProbe, IDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> multiplexer;

    public RedisConnection(IOptions<RedisOptions> options)
    {
        var connectionString = options.Value.ConnectionString;
        multiplexer = new Lazy<Task<ConnectionMultiplexer>>(async () =>
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("REDIS_CONNECTION_STRING is not set.");
            }

            var configuration = ConfigurationOptions.Parse(connectionString);
            configuration.AbortOnConnectFail = false;
            configuration.ConnectTimeout = 2000;
            configuration.SyncTimeout = 2000;
            return await ConnectionMultiplexer.ConnectAsync(configuration);
        });
    }

    public string Name => "redis";

    /// <summary>Tool calls carry on without Redis (the lease falls back, the cache is skipped): degraded, still ready.</summary>
    public bool Required => false;

    public async Task<IDatabase> DatabaseAsync() => (await multiplexer.Value).GetDatabase();

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync();
        await database.PingAsync().WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        if (multiplexer.IsValueCreated && multiplexer.Value.IsCompletedSuccessfully)
        {
            multiplexer.Value.Result.Dispose();
        }
    }
}
