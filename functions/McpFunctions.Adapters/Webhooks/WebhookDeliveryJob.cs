using McpFunctions.Core.Jobs;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Adapters.Webhooks;

/// <summary>Delivers due outbox events: pending ones whose <c>nextAttemptAt</c> has come, in bounded batches.</summary>
/// <remarks>Safe on several instances at once: every send is preceded by a claim (<see cref="WebhookDelivery"/>).</remarks>
public sealed class WebhookDeliveryJob(
    CosmosWebhookStore store,
    WebhookDelivery delivery,
    WebhookOptions options,
    TimeProvider clock,
    ILogger<WebhookDeliveryJob> logger) : IScheduledJob
{
    public const int BatchSize = 50;

    /// <summary>Bounds one run (a timer invocation) to a few minutes even against a slow receiver.</summary>
    public const int MaxBatchesPerRun = 10;

    public const int MaxParallelism = 4;

    public string Name => "WebhookOutbox";

    public string ScheduleSetting => "WEBHOOK_SCHEDULE";

    public string DefaultSchedule => "0 */1 * * * *";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        var counts = new int[Enum.GetValues<WebhookAttempt>().Length];
        var errors = 0;
        for (var batch = 0; batch < MaxBatchesPerRun; batch++)
        {
            var due = await store.QueryDueAsync(clock.GetUtcNow(), BatchSize, cancellationToken);
            await Parallel.ForEachAsync(
                due,
                new ParallelOptions { MaxDegreeOfParallelism = MaxParallelism, CancellationToken = cancellationToken },
                async (document, token) =>
                {
                    try
                    {
                        var attempt = await delivery.TryDeliverAsync(document, token);
                        Interlocked.Increment(ref counts[(int)attempt]);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                    {
                        // One event's storage hiccup must not stop the others; it stays due (or claimed) for the next run.
                        Interlocked.Increment(ref errors);
                        logger.LogWarning(e, "Webhook {EventId} could not be attempted; the next run retries it", document.Id);
                    }
                });
            if (due.Count < BatchSize)
            {
                break;
            }
        }

        if (counts.Sum() + errors > 0)
        {
            logger.LogInformation(
                "Webhook outbox run: {Delivered} delivered, {Failed} failed, {Dead} dead, {Skipped} claimed elsewhere, {Errors} errors",
                counts[(int)WebhookAttempt.Delivered], counts[(int)WebhookAttempt.Failed], counts[(int)WebhookAttempt.Dead],
                counts[(int)WebhookAttempt.Skipped], errors);
        }
    }
}
