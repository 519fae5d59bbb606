using System.Diagnostics;
using System.Text;

namespace McpFunctions.Tests.Fixtures;

/// <summary>Runs a program to its end with stdout and stderr captured; one that outlives its limit is killed and fails the test.</summary>
public static class ChildProcess
{
    public static async Task<ChildProcessRun> RunAsync(ProcessStartInfo start, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.StandardOutputEncoding = Encoding.UTF8;
        start.StandardErrorEncoding = Encoding.UTF8;
        var command = $"{start.FileName} {string.Join(' ', start.ArgumentList)}";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{command} did not finish within {limit.TotalSeconds:0} s.\nstdout:\n{await stdout}\nstderr:\n{await stderr}");
        }

        return new ChildProcessRun(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>How a finished program ended and what it printed.</summary>
public sealed record ChildProcessRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
