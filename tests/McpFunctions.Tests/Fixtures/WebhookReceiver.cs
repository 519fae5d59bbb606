using System.Collections.Concurrent;
using System.Globalization;
using McpFunctions.StandIns;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Tests.Fixtures;

/// <summary>A real HTTP receiver on loopback (Kestrel), standing for the chat backend's webhook endpoint.</summary>
/// <remarks>Records every request as it arrived (raw body bytes, headers) and answers with <see cref="Status"/>.
/// It can be stopped (connection refused) and started again on the same port.</remarks>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Path = "/hooks/connections";

    private readonly ConcurrentQueue<ReceivedWebhook> received = new();
    private readonly SemaphoreSlim arrived = new(0);
    private WebApplication? app;
    private volatile int status = 200;

    private WebhookReceiver(int port) => Port = port;

    public int Port { get; private set; }

    /// <summary>The URL to configure as WEBHOOK_URL (with a query, as real receivers often have).</summary>
    public Uri Url => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}{Path}?source=mcpfunctions");

    /// <summary>What the next requests are answered with.</summary>
    public int Status
    {
        get => status;
        set => status = value;
    }

    /// <summary>How long each request is held before answering (widens races in concurrency tests).</summary>
    public TimeSpan Delay { get; set; }

    public IReadOnlyCollection<ReceivedWebhook> Received => received;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver(0);
        await receiver.StartAgainAsync();
        return receiver;
    }

    /// <summary>A receiver whose port is known but closed: senders get "connection refused" until <see cref="StartAgainAsync"/>.</summary>
    public static async Task<WebhookReceiver> StartStoppedAsync()
    {
        var receiver = await StartAsync();
        await receiver.StopAsync();
        return receiver;
    }

    public async Task StartAgainAsync()
    {
        if (app is not null)
        {
            throw new InvalidOperationException("The receiver is running.");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");
        var started = builder.Build();
        started.Run(ReceiveAsync);
        await started.StartAsync();
        Port = StandInHosting.BaseUrl(started, "http").Port;
        app = started;
    }

    public async Task StopAsync()
    {
        if (app is { } running)
        {
            app = null;
            await StandInHosting.StopAndDisposeAsync(running);
        }
    }

    /// <summary>Waits until <paramref name="count"/> requests have arrived in all (fails after 30 s).</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (received.Count < count)
        {
            try
            {
                await arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"The receiver got {received.Count} webhooks, expected {count}.");
            }
        }

        return [.. received];
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        arrived.Dispose();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var answer = Status;
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        received.Enqueue(new ReceivedWebhook(
            context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body.ToArray(), answer));
        arrived.Release();
        context.Response.StatusCode = answer;
    }
}

/// <summary>One request as the receiver saw it, and the status it answered.</summary>
public sealed record ReceivedWebhook(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body, int AnsweredStatus)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);

    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : "";

    /// <summary>Every header as "name: value" lines, for asserting what must never appear.</summary>
    public string AllHeaders => string.Join('\n', Headers.Select(h => $"{h.Key}: {h.Value}"));
}
