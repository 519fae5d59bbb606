using System.Net.Sockets;
using System.Text;
using McpFunctions.Tests.Fixtures;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration;

/// <summary>
/// Nothing secret ever reaches Redis: every command the host sends to the real redis-server during a connect,
/// a tool call and a disconnect is watched with <c>MONITOR</c> and searched for the key.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class RedisTrafficTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task ConnectCallDisconnect_EveryRedisCommand_CarriesIdsButNeverTheKey()
    {
        await using var monitor = await RedisMonitor.StartAsync(LocalServices.RedisConnectionString);
        var key = Host.Notion.AddIntegration("Redis watch");
        var token = await ConnectKeyAsync(Host, key);
        var user = UserOf(token);

        var call = await ToolAsync(Host, token, "notion_get_bot_user");
        Assert.False(IsError(call), Text(call));
        using (var disconnected = await Host.SendAsync(HttpMethod.Delete, "/api/mcp/notion/disconnect", token))
        {
            Assert.True(disconnected.IsSuccessStatusCode);
        }

        // Three evictions name this user's connection: the connect's, the call's lastUsedAt write, the disconnect's.
        var seen = await monitor.WaitForAsync(text => CountOf(text, user) >= 3, TimeSpan.FromSeconds(10));

        Assert.Contains("\"publish\"", seen, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(key, seen, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(key)), seen, StringComparison.Ordinal);
        Assert.DoesNotContain(token, seen, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string UserOf(string token)
    {
        var payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=')));
        return System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("sub").GetString()!;
    }

    /// <summary>A raw connection in <c>MONITOR</c> mode: redis-server echoes every command any client sends.</summary>
    private sealed class RedisMonitor : IAsyncDisposable
    {
        private readonly TcpClient client;
        private readonly StringBuilder seen = new();
        private readonly Task reading;
        private readonly CancellationTokenSource stop = new();

        private RedisMonitor(TcpClient client)
        {
            this.client = client;
            reading = ReadAsync();
        }

        public static async Task<RedisMonitor> StartAsync(string connectionString)
        {
            var endpoint = connectionString.Split(',')[0].Split(':');
            var client = new TcpClient();
            await client.ConnectAsync(endpoint[0], int.Parse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture));
            await client.GetStream().WriteAsync("MONITOR\r\n"u8.ToArray());
            var monitor = new RedisMonitor(client);
            await monitor.WaitForAsync(text => text.Contains("+OK", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
            return monitor;
        }

        public async Task<string> WaitForAsync(Func<string, bool> done, TimeSpan limit)
        {
            var deadline = DateTime.UtcNow + limit;
            while (true)
            {
                string text;
                lock (seen)
                {
                    text = seen.ToString();
                }

                if (done(text) || DateTime.UtcNow > deadline)
                {
                    Assert.True(done(text), $"MONITOR did not see what was expected within {limit.TotalSeconds} s; it saw:\n{text}");
                    return text;
                }

                await Task.Delay(50);
            }
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[8192];
            var stream = client.GetStream();
            try
            {
                while (await stream.ReadAsync(buffer, stop.Token) is var read and > 0)
                {
                    lock (seen)
                    {
                        seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Disposed: the test has what it needs.
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            client.Dispose();
            try
            {
                await reading;
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // The socket closed under the pending read: expected on dispose.
            }

            stop.Dispose();
        }
    }
}
