namespace McpFunctions.Tests.Fixtures;

/// <summary>Waits for a condition that code running on another task will make true.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), cancel.Token);
        }
    }
}
