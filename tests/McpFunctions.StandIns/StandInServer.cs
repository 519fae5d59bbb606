using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpFunctions.StandIns;

/// <summary>
/// The loopback Kestrel server under the Notion, Qlik and GitHub stand-ins: it reads and records every request, applies the
/// configured latency, and hands the request to the stand-in's handler. Faults and routing stay with the stand-in.
/// </summary>
internal sealed class StandInServer : IAsyncDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _app;
    private readonly Func<HttpContext, StandInRequest, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<StandInRequest> _requests = [];
    private readonly TimeProvider _clock;
    private long _delayTicks;
    private int _disposed;

    private StandInServer(WebApplication app, Func<HttpContext, StandInRequest, CancellationToken, Task> handler, TimeProvider clock)
    {
        _app = app;
        _handler = handler;
        _clock = clock;
    }

    public Uri BaseUrl { get; private set; } = null!;

    public TimeSpan ResponseDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Interlocked.Exchange(ref _delayTicks, value.Ticks);
        }
    }

    public IReadOnlyList<StandInRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public int RequestCount
    {
        get
        {
            lock (_gate)
            {
                return _requests.Count;
            }
        }
    }

    public static async Task<StandInServer> StartAsync(
        string name, Func<HttpContext, StandInRequest, CancellationToken, Task> handler, TimeProvider clock, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(StandInServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });

        // The host process's appsettings and environment (ASPNETCORE_URLS, Kestrel:Endpoints, logging) must not leak in.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Listen(IPAddress.Loopback, 0);
        });

        var app = builder.Build();
        var server = new StandInServer(app, handler, clock);
        app.Run(server.HandleAsync);
        try
        {
            await app.StartAsync(ct);
            server.BaseUrl = StandInHosting.BaseUrl(app, "http");
            return server;
        }
        catch (Exception ex)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"The {name} stand-in could not start.", ex);
        }
    }

    public void ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        await StandInHosting.StopAndDisposeAsync(_app);
        _stopping.Dispose();
    }

    public static async Task WriteJsonAsync(HttpContext context, int status, JsonNode? body, TimeSpan? retryAfter = null)
    {
        var bytes = body is null ? [] : ToUtf8(body);
        var response = context.Response;
        response.StatusCode = status;
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = ((long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (body is null)
        {
            return;
        }

        response.ContentType = "application/json; charset=utf-8";
        await WriteAsync(context, bytes);
    }

    public static async Task WriteTextAsync(HttpContext context, int status, string contentType, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await WriteAsync(context, Encoding.UTF8.GetBytes(text));
    }

    public static byte[] ToUtf8(JsonNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            node.WriteTo(writer);
        }

        return buffer.ToArray();
    }

    private static async Task WriteAsync(HttpContext context, byte[] bytes)
    {
        context.Response.ContentLength = bytes.Length;
        try
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away.
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        try
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            context.Abort();
            return;
        }

        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new StandInRequest(
            request.Method,
            string.IsNullOrEmpty(target) ? request.Path.ToString() + request.QueryString.ToString() : target,
            headers,
            body,
            _clock.GetUtcNow());
        lock (_gate)
        {
            _requests.Add(recorded);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var delay = ResponseDelay;
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, linked.Token);
            }

            await _handler(context, recorded, linked.Token);
        }
        catch (OperationCanceledException)
        {
            context.Abort();
        }
    }
}
