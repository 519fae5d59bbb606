using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Adapters.Webhooks;

/// <summary>First attempts started in the background right after an event is stored, so receivers hear within
/// moments instead of at the next job run.</summary>
/// <remarks>Best effort by design: a start is refused when too many are in flight, and a failure or a shutdown
/// leaves the event pending for <see cref="WebhookDeliveryJob"/>. Disposal (host shutdown) waits a bounded time
/// for attempts in flight, then cancels them; a cancelled attempt is retried once its claim expires.</remarks>
public sealed class PromptDeliveries(WebhookDelivery delivery, ILogger<PromptDeliveries> logger) : IAsyncDisposable, IDisposable
{
    /// <summary>Beyond this, events wait for the job: a burst of events must not become a burst of threads and sockets.</summary>
    public const int MaxInFlight = 32;

    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<long, Task> inFlight = new();
    private readonly CancellationTokenSource stopping = new();
    private long sequence;
    private int disposed;

    /// <summary>Attempts currently running.</summary>
    public int Count => inFlight.Count;

    /// <summary>Starts an attempt for a just-stored event without waiting for it; never throws.</summary>
    public void Start(WebhookDocument stored)
    {
        if (Volatile.Read(ref disposed) != 0 || inFlight.Count >= MaxInFlight)
        {
            return;
        }

        var id = Interlocked.Increment(ref sequence);
        var token = stopping.Token;
        var attempt = Task.Run(() => AttemptAsync(stored, token), CancellationToken.None);
        inFlight[id] = attempt;
        // Registered after the add, so the removal cannot run before it even when the attempt has already ended.
        _ = attempt.ContinueWith(_ => inFlight.TryRemove(id, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Completes when every attempt started so far has ended (tests, shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(inFlight.Values);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await WhenIdleAsync().WaitAsync(ShutdownGrace);
        }
        catch (TimeoutException)
        {
            logger.LogInformation("Stopping {Count} webhook attempts still in flight; the outbox job retries them", inFlight.Count);
            await stopping.CancelAsync();
            await WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(1)).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        if (inFlight.IsEmpty)
        {
            stopping.Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        // Synchronous disposal cannot wait politely: cancel, and let the claims expire into the job's hands.
        stopping.Cancel();
    }

    private async Task AttemptAsync(WebhookDocument stored, CancellationToken cancellationToken)
    {
        try
        {
            await delivery.TryDeliverAsync(stored, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown: the claim expires and the job retries.
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Prompt delivery of webhook {EventId} failed; the outbox job will retry it", stored.Id);
        }
    }
}
