using McpFunctions.Adapters.Webhooks;

namespace McpFunctions.Tests.Adapters.Webhooks;

public sealed class WebhookBackoffTests
{
    [Fact]
    public void Ceiling_DoublesFromThirtySeconds_UpToOneHour()
    {
        var ceilings = Enumerable.Range(1, 10).Select(WebhookBackoff.Ceiling).ToList();

        Assert.Equal(
            [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600],
            ceilings.Select(c => (int)c.TotalSeconds));
    }

    [Fact]
    public void Ceiling_ManyAttempts_StaysAtTheCap()
    {
        Assert.Equal(WebhookBackoff.Cap, WebhookBackoff.Ceiling(100));
        Assert.Equal(WebhookBackoff.Cap, WebhookBackoff.Ceiling(int.MaxValue));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.5, 60)]
    [InlineData(1.0, 120)]
    public void Next_IsTheCeilingScaledByTheJitter(double random, int expectedSeconds)
    {
        var backoff = new WebhookBackoff(() => random);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), backoff.Next(3));
    }

    [Fact]
    public void Next_WithRealRandomness_StaysWithinZeroAndTheCeiling()
    {
        var backoff = new WebhookBackoff();

        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var delay = backoff.Next(attempt);
            Assert.InRange(delay, TimeSpan.Zero, WebhookBackoff.Ceiling(attempt));
        }
    }

    [Fact]
    public void Next_WithTheSameJitter_GrowsWithEveryFailureUntilTheCap()
    {
        var backoff = new WebhookBackoff(() => 0.7);

        var delays = Enumerable.Range(1, 8).Select(backoff.Next).ToList();

        Assert.All(delays.Zip(delays.Skip(1)), pair => Assert.True(pair.Second > pair.First, $"{pair.Second} after {pair.First}"));
    }

    [Fact]
    public void Ceiling_BeforeAnyFailure_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WebhookBackoff.Ceiling(0));
    }
}
