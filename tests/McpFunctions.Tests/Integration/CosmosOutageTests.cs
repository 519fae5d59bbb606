using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;

namespace McpFunctions.Tests.Integration;

/// <summary>Cosmos DB stopped, then back empty (a restarted emulator, a recreated database) under a trickle of calls:
/// every answer meanwhile is the stable SERVICE_UNAVAILABLE, never -32603 or a 500, and the host creates its database
/// and containers again without a restart.</summary>
public sealed class CosmosOutageTests
{
    [Fact]
    public async Task CosmosStoppedThenBackEmpty_AnswersServiceUnavailable_ThenRecreatesItsContainers()
    {
        await using var cosmos = await CosmosServer.StartAsync(port: 0);
        await using var host = await TestHost.StartAsync(s =>
        {
            s["COSMOS:accountEndpoint"] = cosmos.Endpoint;
            s["COSMOS:databaseName"] = "outage-" + Guid.NewGuid().ToString("N")[..8];
        });
        var (token, key) = await McpRpc.ConnectedUserAsync(host, "Outage Workspace");
        Assert.False(McpRpc.IsError(await McpRpc.ToolAsync(host, token, "notion_search_pages", """{"query":""}""")));

        await cosmos.StopAsync();
        // A user whose connection no instance has cached: every answer needs the store.
        var fresh = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");
        for (var i = 0; i < 3; i++)
        {
            var cached = await McpRpc.ToolAsync(host, token, "notion_search_pages", """{"query":""}""");
            Assert.True(!McpRpc.IsError(cached) || McpRpc.Text(cached).StartsWith("SERVICE_UNAVAILABLE:", StringComparison.Ordinal), McpRpc.Text(cached));

            var call = await McpRpc.ToolAsync(host, fresh, "notion_search_pages", """{"query":""}""");
            Assert.True(McpRpc.IsError(call));
            Assert.StartsWith("SERVICE_UNAVAILABLE:", McpRpc.Text(call), StringComparison.Ordinal);

            var list = await McpRpc.CallAsync(host, fresh, "tools/list");
            Assert.Equal(-32000, list.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal("SERVICE_UNAVAILABLE", list.GetProperty("error").GetProperty("data").GetProperty("code").GetString());

            using var status = await host.SendAsync(HttpMethod.Get, "/api/mcp/notion/status", fresh);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status.StatusCode);
            Assert.Equal("SERVICE_UNAVAILABLE", JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
            Assert.True(status.Headers.RetryAfter is not null);
        }

        // Back on the same port, empty: no database, no containers.
        await using var restarted = await CosmosServer.StartAsync(cosmos.Port);
        var connected = HttpStatusCode.ServiceUnavailable;
        for (var attempt = 0; attempt < 5 && connected != HttpStatusCode.OK; attempt++)
        {
            // The first write after the outage may find the containers missing and answer 503; the next recreates them.
            using var again = await host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token, new StringContent($$"""{"api_key":"{{key}}"}""", Encoding.UTF8, "application/json"));
            connected = again.StatusCode;
            Assert.True(connected is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, connected.ToString());
        }

        Assert.True(connected == HttpStatusCode.OK, "still " + connected + "; logs:\n" + string.Join("\n", host.Logs.All.Split('\n').TakeLast(30)));
        Assert.False(McpRpc.IsError(await McpRpc.ToolAsync(host, token, "notion_search_pages", """{"query":""}""")));
        Assert.DoesNotContain("Internal error", host.Logs.All, StringComparison.Ordinal);
    }

    /// <summary>tools/localstack/cosmos.mjs in a node child process, on a given port so a restart comes back where it was.</summary>
    private sealed class CosmosServer : IAsyncDisposable
    {
        private const string ReadyPrefix = "cosmos ready on ";

        private readonly Process process;

        private CosmosServer(Process process, string endpoint) => (this.process, Endpoint) = (process, endpoint);

        public string Endpoint { get; }

        public int Port => new Uri(Endpoint).Port;

        public static async Task<CosmosServer> StartAsync(int port)
        {
            var start = new ProcessStartInfo("node")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(Repository.Root, "tools", "localstack", "cosmos.mjs"));
            start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
                {
                    _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                    return new CosmosServer(process, line[ReadyPrefix.Length..].Trim());
                }
            }

            throw new InvalidOperationException("cosmos.mjs exited before it was ready");
        }

        public async Task StopAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            process.Dispose();
        }
    }
}
