using System.Diagnostics;
using McpFunctions.Tests.Fixtures;
using System.Text.Json;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>Runs a script of <c>tools/localstack</c> (whose <c>node_modules</c> hold the pinned MCP packages) with node.</summary>
public static class NodeScript
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<string> LocalStack = new(() => Path.Combine(Repository.Root, "tools", "localstack"));

    /// <summary>Runs <c>node tools/localstack/{script} {arguments}</c>; a timeout kills it and fails.</summary>
    public static async Task<NodeRun> RunAsync(string script, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var directory = LocalStack.Value;
        var modules = Path.Combine(directory, "node_modules", "@modelcontextprotocol");
        if (!Directory.Exists(modules))
        {
            throw new InvalidOperationException(
                $"{modules} is missing: run ./test.sh (stack_install runs npm ci), or `cd tools/localstack && npm ci`.");
        }

        var start = new ProcessStartInfo("node") { WorkingDirectory = directory };
        start.ArgumentList.Add(Path.Combine(directory, script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["NODE_NO_WARNINGS"] = "1";

        var run = await ChildProcess.RunAsync(start, timeout ?? DefaultTimeout);
        return new NodeRun(script, run.ExitCode, run.Stdout, run.Stderr);
    }
}

/// <summary>One finished node run; <see cref="Json"/> is its last stdout line, parsed.</summary>
public sealed record NodeRun(string Script, int ExitCode, string Stdout, string Stderr)
{
    private const int MaxShown = 8_000;

    public string Describe() => $"node {Script} exited {ExitCode}.\nstdout:\n{Shorten(Stdout)}\nstderr:\n{Shorten(Stderr)}";

    private static string Shorten(string text) =>
        text.Length <= MaxShown ? text : $"{text[..(MaxShown / 2)]}\n…({text.Length - MaxShown} characters left out)…\n{text[^(MaxShown / 2)..]}";

    public JsonElement Json
    {
        get
        {
            var line = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            if (line is null)
            {
                Assert.Fail("No JSON line on stdout. " + Describe());
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                return document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                Assert.Fail($"The last stdout line is not JSON ({ex.Message}). " + Describe());
                throw;
            }
        }
    }
}
