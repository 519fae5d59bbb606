using McpFunctions.Core.Providers;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace McpFunctions.Adapters.ProviderHttp;

/// <summary>The Polly pipeline every provider call runs through, one instance (and circuit) per provider.</summary>
public static class ProviderResilience
{
    /// <summary>Retries only wait this long for a provider's Retry-After; longer, and the 429 goes back to the caller.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(10);

    public static void Configure(ResiliencePipelineBuilder<ProviderReply> builder)
    {
        builder
            .AddRetry(new RetryStrategyOptions<ProviderReply>
            {
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                ShouldHandle = args => ValueTask.FromResult(
                    args.Context.Properties.GetValue(HttpProviderClient.Idempotent, false) && IsTransient(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Result?.RetryAfter is { } retryAfter ? (TimeSpan?)Clamp(retryAfter) : null),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<ProviderReply>
            {
                FailureRatio = 0.5,
                MinimumThroughput = 10,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(15),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException or TimeoutRejectedException
                    || args.Outcome.Result?.Status >= 500),
            })
            .AddTimeout(new TimeoutStrategyOptions
            {
                TimeoutGenerator = args => ValueTask.FromResult(
                    TimeSpan.FromSeconds(args.Context.Properties.GetValue(HttpProviderClient.TimeoutSeconds, 30))),
            });
    }

    private static bool IsTransient(Outcome<ProviderReply> outcome) =>
        outcome.Exception is HttpRequestException or TimeoutRejectedException
        || outcome.Result?.Status is 429 or 500 or 502 or 503 or 504
            && (outcome.Result.RetryAfter is null || outcome.Result.RetryAfter <= MaxRetryAfter);

    private static TimeSpan Clamp(TimeSpan retryAfter) => retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter;
}
