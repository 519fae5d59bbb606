using System.Diagnostics.Metrics;
using McpFunctions.Core.Telemetry;

namespace McpFunctions.Tests.Fixtures;

/// <summary>One measurement of the <c>McpFunctions</c> meter, its tags as strings.</summary>
public sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, string> Tags)
{
    public string Tag(string name) => Tags.TryGetValue(name, out var value) ? value : "";
}

/// <summary>Records what one host's <c>McpFunctions</c> meter measures, from start to dispose.</summary>
/// <remarks>Only that host's meter (its <see cref="IMeterFactory"/> is the meter's scope): other hosts of the same test
/// run have meters of the same name.</remarks>
public sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly List<Measurement> measurements = [];

    public MetricsRecorder(IMeterFactory hostMeters)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == McpMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, hostMeters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
    }

    public IReadOnlyList<Measurement> Of(string instrument)
    {
        lock (measurements)
        {
            return [.. measurements.Where(m => m.Instrument == instrument)];
        }
    }

    public IReadOnlyList<Measurement> All
    {
        get
        {
            lock (measurements)
            {
                return [.. measurements];
            }
        }
    }

    public void Dispose() => listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value?.ToString() ?? "";
        }

        lock (measurements)
        {
            measurements.Add(new Measurement(instrument.Name, value, copy));
        }
    }
}
