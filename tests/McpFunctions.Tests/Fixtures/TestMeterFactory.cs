using System.Diagnostics.Metrics;

namespace McpFunctions.Tests.Fixtures;

/// <summary>An <see cref="IMeterFactory"/> of one test: its meters are scoped to it, so a <see cref="MetricsRecorder"/> on it
/// hears only that test's measurements.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        lock (meters)
        {
            meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (meters)
        {
            meters.ForEach(m => m.Dispose());
            meters.Clear();
        }
    }
}
