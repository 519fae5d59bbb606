using System.Diagnostics.Metrics;
using McpFunctions.Core.Telemetry;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using static McpFunctions.Tests.Integration.Mcp.McpRpc;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>Tool calls are counted by provider, tool and outcome on the <c>McpFunctions</c> meter, with nothing identifying or secret in a tag.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class ToolMetricsTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task ToolCalls_CountedByOutcome_TagsNameNoUserAndNoSecret()
    {
        var recorded = new List<(string Instrument, double Value, Dictionary<string, string> Tags)>();
        using var listener = Listen(Host.Services.GetRequiredService<IMeterFactory>(), recorded);
        var (token, key) = await ConnectedUserAsync(Host, "Metrics");
        var stranger = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), "acme");

        Assert.False(IsError(await ToolAsync(Host, token, "notion_get_bot_user")));
        Assert.True(IsError(await ToolAsync(Host, token, "notion_get_user", """{"user_id":42}""")));
        Assert.True(IsError(await ToolAsync(Host, stranger, "notion_get_bot_user")));

        List<(string Instrument, double Value, Dictionary<string, string> Tags)> snapshot;
        lock (recorded)
        {
            snapshot = [.. recorded];
        }

        var calls = snapshot.Where(r => r.Instrument == "mcpfunctions.tool.calls").ToList();
        Assert.Equal(
            ["notion_get_bot_user:ok", "notion_get_user:VALIDATION_ERROR", "notion_get_bot_user:NOT_CONNECTED"],
            calls.Select(c => $"{c.Tags["tool"]}:{c.Tags["outcome"]}"));
        Assert.All(calls, c => Assert.Equal("notion", c.Tags["provider"]));
        Assert.Equal(3, snapshot.Count(r => r.Instrument == "mcpfunctions.tool.duration" && r.Value >= 0));

        var tagValues = snapshot.SelectMany(r => r.Tags.Values).ToList();
        Assert.DoesNotContain(tagValues, v => v.Contains(key, StringComparison.Ordinal) || v.Contains("user-", StringComparison.Ordinal) || v.Contains("acme", StringComparison.Ordinal));
        Assert.All(snapshot, r => Assert.Equal(["outcome", "provider", "tool"], r.Tags.Keys.Order(StringComparer.Ordinal)));
    }

    /// <summary>Measurements of this host's meter only: other hosts in the test run have meters of the same name.</summary>
    private static MeterListener Listen(IMeterFactory hostMeters, List<(string, double, Dictionary<string, string>)> recorded)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == McpMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, hostMeters))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value?.ToString() ?? "";
            }

            lock (recorded)
            {
                recorded.Add((instrument.Name, value, copy));
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        return listener;
    }
}
