using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace McpFunctions.Bench;

/// <summary>The built LocalHost (or the bench's peer) run with <c>dotnet</c> as a separate process, so its memory and CPU are its own.</summary>
/// <remarks>Compiled into the bench and the tests (linked file): one launcher for both.</remarks>
public sealed class LocalHostProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly string name;

    private LocalHostProcess(Process process, StreamWriter log, Uri baseAddress, string name)
    {
        this.process = process;
        this.log = log;
        this.name = name;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Pid => process.Id;

    /// <summary>Null while it runs; else how it ended, which explains a run of refused connections.</summary>
    public string? Exited => process.HasExited ? $"the {name} exited with code {process.ExitCode}" : null;

    /// <param name="requireHealthy">Wait for <c>/api/health</c> to answer 200; otherwise any answer means started
    /// (a test with Redis down gets 503 from a host that works).</param>
    /// <param name="healthPath">Where the host answers 200 once started (the peer has no <c>/api</c> routes).</param>
    public static async Task<LocalHostProcess> StartAsync(
        string dll, IReadOnlyDictionary<string, string> environment, string logPath, TimeSpan timeout, bool requireHealthy = true, string healthPath = "api/health")
    {
        var displayName = Path.GetFileNameWithoutExtension(dll);
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"The {displayName} build output is missing: {dll} (build it with -c Release).", dll);
        }

        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("DOTNET_URLS");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var writer = new StreamWriter(logPath) { AutoFlush = true };
        var sync = TextWriter.Synchronized(writer);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { sync.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { sync.WriteLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new LocalHostProcess(process, writer, new Uri($"http://127.0.0.1:{port}/"), displayName);
        try
        {
            await host.WaitHealthyAsync(new Uri(healthPath.TrimStart('/'), UriKind.Relative), timeout, logPath, requireHealthy);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
        await log.DisposeAsync();
    }

    private async Task WaitHealthyAsync(Uri healthPath, TimeSpan timeout, string logPath, bool requireHealthy)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var last = "no answer";
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The {name} exited with code {process.ExitCode}; see {logPath}.");
            }

            try
            {
                using var response = await http.GetAsync(healthPath);
                if (response.StatusCode == HttpStatusCode.OK || !requireHealthy)
                {
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException)
            {
                last = "timeout";
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The {name} was not healthy within {timeout.TotalSeconds:0} s (last: {last}); see {logPath}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
