using McpFunctions.StandIns.Notion;

namespace McpFunctions.Bench;

/// <summary>
/// One request at a time, cut in two at the moment the stand-in's handler received the provider request
/// (its <see cref="StandInRequest.ReceivedAt"/>, same process and clock as the caller): the time before
/// the provider call and the time from there until the caller had the answer.
/// </summary>
public sealed record Timeline(string Target, IReadOnlyList<double> BeforeMs, IReadOnlyList<double> AfterMs)
{
    public static async Task<Timeline> MeasureAsync(string target, NotionStandIn notion, BenchCall call, int count)
    {
        for (var i = 0; i < 200; i++)
        {
            _ = await call(CancellationToken.None);
        }

        var before = new double[count];
        var after = new double[count];
        for (var i = 0; i < count; i++)
        {
            notion.ClearRequests();
            var sent = DateTimeOffset.UtcNow;
            var failure = await call(CancellationToken.None);
            var answered = DateTimeOffset.UtcNow;
            var requests = notion.Requests;
            if (failure is not null || requests.Count != 1)
            {
                throw new InvalidOperationException($"{target}: timeline call failed ({failure ?? $"{requests.Count} provider requests"}).");
            }

            before[i] = (requests[0].ReceivedAt - sent).TotalMilliseconds;
            after[i] = (answered - requests[0].ReceivedAt).TotalMilliseconds;
        }

        notion.ClearRequests();
        Array.Sort(before);
        Array.Sort(after);
        return new Timeline(target, before, after);
    }

    public static double Percentile(IReadOnlyList<double> sorted, double percentile) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
