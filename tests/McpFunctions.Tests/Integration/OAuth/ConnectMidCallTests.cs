using System.Diagnostics;
using System.Net;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Startup;

namespace McpFunctions.Tests.Integration.OAuth;

/// <summary>A user asks for a tool of a provider they have not connected, through the current official TypeScript client
/// (<c>tools/localstack/mcp-client-2026.mjs</c>): under 2026-07-28 the call answers <c>input_required</c> with a URL
/// elicitation and the client's retry (carrying our signed <c>requestState</c>) runs the tool once the user has connected;
/// under 2025-11-25 the same happens through error -32042 and a second call. The user's browser goes through the real
/// OAuth server (oidc-provider) in between.</summary>
public sealed class ConnectMidCallTests : IAsyncLifetime
{
    private OAuthRig rig = null!;

    public async Task InitializeAsync() => rig = await OAuthRig.StartAsync();

    public async Task DisposeAsync() => await rig.DisposeAsync();

    [Theory]
    [InlineData("2026-07-28")]
    [InlineData("2025-11-25")]
    public async Task NotConnected_UserConnectsThroughTheElicitedUrl_ThenTheSameCallRuns(string version)
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..12];
        var token = TestTokens.For(user, "acme");
        await using var client = ClientProcess.Start(version, rig.Host.BaseAddress, token, OAuthRig.Tool, """{"account":"work"}""");

        var elicitation = (await client.ReadLineAsync()).GetProperty("elicitation");
        Assert.Equal("url", elicitation.GetProperty("mode").GetString());
        var text = elicitation.GetProperty("url").GetString()!;
        // Strict RFC 3986: an encoded absolute URI, so the provider's several scopes never leave a raw space in it.
        Assert.Matches(@"\A[A-Za-z][A-Za-z0-9+.-]*://[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]+\z", text);
        Assert.Contains("scope=openid%20offline_access%20read", text, StringComparison.Ordinal);
        var back = await rig.CallbackAsync(await rig.Browser.ApproveAsync(new Uri(text)));
        // Our redirect back to the chat product is as strict a URI as the one we sent the user to.
        Assert.Matches(@"\A[A-Za-z][A-Za-z0-9+.-]*://[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]+\z", back.OriginalString);
        var outcome = OAuthBrowser.Query(back);
        Assert.Equal("connected", outcome["status"]);
        using (var completed = await rig.CompleteAsync(token, outcome["completion"]))
        {
            Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        }

        await client.WriteLineAsync("accept");
        var final = await client.ReadLineAsync();

        Assert.False(final.TryGetProperty("error", out var error), "the client got an error: " + error);
        var call = final.GetProperty("call");
        Assert.False(call.TryGetProperty("isError", out var isError) && isError.GetBoolean(), call.ToString());
        Assert.Contains("\"sub\":\"alice\"", call.GetProperty("content")[0].GetProperty("text").GetString()!.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var calls = final.GetProperty("exchanges").EnumerateArray().Where(e => e.GetProperty("rpc").GetString() == "tools/call").ToList();
        Assert.Equal(2, calls.Count);
        if (version == "2026-07-28")
        {
            Assert.DoesNotContain(final.GetProperty("exchanges").EnumerateArray(), e => e.GetProperty("rpc").GetString() == "initialize");
            Assert.False(calls[0].GetProperty("hasRequestState").GetBoolean());
            Assert.True(calls[1].GetProperty("hasRequestState").GetBoolean());
            Assert.All(calls, c => Assert.Equal(OAuthRig.Tool, c.GetProperty("mcpNameHeader").GetString()));
        }
        else
        {
            Assert.Contains(final.GetProperty("exchanges").EnumerateArray(), e => e.GetProperty("rpc").GetString() == "initialize");
            Assert.All(calls, c => Assert.False(c.GetProperty("hasRequestState").GetBoolean()));
        }
    }

    [Fact]
    public async Task UserDeclines_TheRetryEndsInAToolErrorNotAnotherRound()
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N")[..12], "acme");
        await using var client = ClientProcess.Start("2026-07-28", rig.Host.BaseAddress, token, OAuthRig.Tool, "{}");

        _ = (await client.ReadLineAsync()).GetProperty("elicitation");
        await client.WriteLineAsync("decline");
        var final = await client.ReadLineAsync();

        var call = final.GetProperty("call");
        Assert.True(call.GetProperty("isError").GetBoolean());
        Assert.Contains("declined", call.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The client script, driven line by line: it prints JSON lines and reads the user's answers from stdin.</summary>
    private sealed class ClientProcess : IAsyncDisposable
    {
        private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(60);
        private readonly Process process;

        private ClientProcess(Process process) => this.process = process;

        public static ClientProcess Start(string version, Uri baseAddress, string token, string tool, string argumentsJson)
        {
            var directory = Path.Combine(Repository.Root, "tools", "localstack");
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = directory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { Path.Combine(directory, "mcp-client-2026.mjs"), "--version", version, baseAddress.ToString(), token, tool, argumentsJson })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["NODE_NO_WARNINGS"] = "1";
            return new ClientProcess(Process.Start(start) ?? throw new InvalidOperationException("node did not start"));
        }

        public async Task<JsonElement> ReadLineAsync()
        {
            using var timeout = new CancellationTokenSource(LineTimeout);
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("The client printed nothing for 60 s. stderr: " + await StderrAsync());
            }

            return line is null
                ? throw new InvalidOperationException("The client ended early. stderr: " + await StderrAsync())
                : JsonDocument.Parse(line).RootElement.Clone();
        }

        public async Task WriteLineAsync(string line)
        {
            await process.StandardInput.WriteLineAsync(line);
            await process.StandardInput.FlushAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }

        private async Task<string> StderrAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            return await process.StandardError.ReadToEndAsync();
        }
    }
}
