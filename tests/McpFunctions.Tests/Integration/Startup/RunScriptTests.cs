using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using McpFunctions.Http.Auth;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary>
/// What the README promises a newcomer: <c>./run.sh token --user alice --tenant acme</c> prints a JWT the
/// LocalHost accepts, alone on the last line; <c>./run.sh --stand-ins</c> serves Notion from the stand-in program.
/// </summary>
public sealed class RunScriptTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task RunToken_AliceInAcme_LastLineIsAJwtTheDevelopmentSettingsAccept()
    {
        var run = await RunAsync("bash", ["run.sh", "token", "--user", "alice", "--tenant", "acme"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Stdout is the token alone: build chatter and the explanation go to stderr, so $(...) captures just the JWT.
        var token = Assert.Single(lines);
        Assert.Equal(3, token.Split('.').Length);

        var result = await DevelopmentAuthenticator().AuthenticateAsync("Bearer " + token);

        Assert.True(result.Caller is not null, result.ErrorDescription);
        Assert.Equal("alice", result.Caller.UserId);
        Assert.Equal("acme", result.Caller.TenantId);
    }

    [Fact]
    public async Task RunToken_WithoutTenant_ExitsWithUsageAndPrintsNoToken()
    {
        var run = await RunAsync("bash", ["run.sh", "token", "--user", "alice"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Stdout.Trim());
        Assert.Contains("Usage: token --user ID --tenant ID", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunScript_UnknownOption_ExitsWithUsageBeforeStartingAnything()
    {
        var run = await RunAsync("bash", ["run.sh", "--stand-in"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("usage: ./run.sh [--stand-ins]", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StandInsProgram_WritesSettingsThatReachASeededNotionWorkspace_AndStopsOnSigterm()
    {
        var dll = Path.Combine(Repository.Root, "tests", "McpFunctions.StandIns", "bin", "Release", "net10.0", "McpFunctions.StandIns.dll");
        var envFile = Path.Combine(Path.GetTempPath(), $"stand-ins-{Guid.NewGuid():N}.env");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(envFile);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the stand-ins program.");
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var settings = await ReadSettingsAsync(envFile, process);
            using var http = new HttpClient { BaseAddress = new Uri(settings["Providers__notion__BaseUrl"]) };
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/search");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings["NOTION_DEMO_KEY"]);
            request.Headers.Add("Notion-Version", "2022-06-28");
            request.Content = new StringContent("""{"query":"roadmap"}""", System.Text.Encoding.UTF8, "application/json");

            using var response = await http.SendAsync(request);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

            Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
            var page = Assert.Single(body["results"]!.AsArray());
            Assert.Equal("Roadmap", page!["properties"]!["title"]!["title"]![0]!["plain_text"]!.GetValue<string>());

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(exited.Token);
            Assert.True(process.ExitCode == 0, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            File.Delete(envFile);
        }
    }

    private static async Task<Dictionary<string, string>> ReadSettingsAsync(string envFile, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(envFile))
        {
            Assert.False(process.HasExited, "The stand-ins program exited before writing its settings.");
            Assert.True(DateTime.UtcNow < deadline, "The stand-ins program wrote no settings within 60 s.");
            await Task.Delay(100);
        }

        return (await File.ReadAllLinesAsync(envFile))
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
    }

    private static CallerAuthenticator DevelopmentAuthenticator()
    {
        var path = Path.Combine(Repository.Root, "functions", "McpFunctions.LocalHost", "appsettings.Development.json");
        var configuration = new ConfigurationBuilder().AddJsonFile(path).Build();
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()!;
        return new CallerAuthenticator(Options.Create(options));
    }

    private static Task<ChildProcessRun> RunAsync(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Repository.Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return ChildProcess.RunAsync(start, Limit);
    }
}
