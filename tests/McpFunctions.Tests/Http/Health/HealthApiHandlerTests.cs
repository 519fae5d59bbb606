using McpFunctions.Core.Health;
using McpFunctions.Http.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging.Abstractions;

namespace McpFunctions.Tests.Http.Health;

/// <summary>The readiness handler called directly, as the Function App calls it: its typed result says which status it chose.</summary>
public sealed class HealthApiHandlerTests
{
    [Fact]
    public async Task Check_EveryProbeUp_OkHealthy()
    {
        var result = await CheckAsync(new Probe("cosmos", Up: true), new Probe("redis", Up: true, Required: false));

        var ok = Assert.IsType<Ok<HealthReport>>(result.Result);
        Assert.Equal("healthy", ok.Value!.Status);
    }

    [Fact]
    public async Task Check_OptionalProbeDown_OkDegraded()
    {
        var result = await CheckAsync(new Probe("cosmos", Up: true), new Probe("redis", Up: false, Required: false));

        var ok = Assert.IsType<Ok<HealthReport>>(result.Result);
        Assert.Equal("degraded", ok.Value!.Status);
        Assert.Equal("degraded", ok.Value.Components["redis"].Status);
    }

    [Fact]
    public async Task Check_RequiredProbeDown_503Unhealthy()
    {
        var result = await CheckAsync(new Probe("cosmos", Up: false), new Probe("redis", Up: true, Required: false));

        var unhealthy = Assert.IsType<JsonHttpResult<HealthReport>>(result.Result);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, unhealthy.StatusCode);
        Assert.Equal("unhealthy", unhealthy.Value!.Status);
        Assert.Equal("InvalidOperationException", unhealthy.Value.Components["cosmos"].Error);
    }

    private static Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> CheckAsync(params IHealthProbe[] probes) =>
        HealthApi.Check(new DefaultHttpContext(), probes, NullLoggerFactory.Instance);

    private sealed record Probe(string Name, bool Up, bool Required = true) : IHealthProbe
    {
        public Task CheckAsync(CancellationToken cancellationToken) =>
            Up ? Task.CompletedTask : Task.FromException(new InvalidOperationException("down"));
    }
}
