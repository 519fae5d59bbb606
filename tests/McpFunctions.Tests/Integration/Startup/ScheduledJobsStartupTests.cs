using McpFunctions.Core.Jobs;
using McpFunctions.Http.Jobs;
using McpFunctions.LocalHost;
using McpFunctions.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary>The LocalHost runs registered jobs itself (Azure uses timer triggers); no servers needed.</summary>
public sealed class ScheduledJobsStartupTests
{
    private static Dictionary<string, string?> Settings() => StartupSettings.Valid();

    [Fact]
    public async Task LocalHost_RunsARegisteredJobOnItsSchedule()
    {
        var job = new ProbeJob("* * * * * *");
        await using var app = Create(job, Settings());

        await app.StartAsync();
        try
        {
            await job.Ran.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await app.StopAsync();
        }

        var runner = Assert.Single(app.Services.GetServices<IHostedService>().OfType<ScheduledJobRunner>());
        Assert.Contains(runner.Plans, p => p.Name == "ProbeJob" && p.Schedule.Expression == "* * * * * *");
    }

    [Fact]
    public async Task LocalHost_InvalidScheduleSetting_FailsStartupNamingIt()
    {
        var settings = Settings();
        settings[ProbeJob.Setting] = "0 */5 * * *";
        settings["Jobs:Enabled"] = "false"; // checked even when the runner is off: the setting is wrong either way
        await using var app = Create(new ProbeJob("* * * * * *"), settings);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.Contains($"{ProbeJob.Setting} = '0 */5 * * *'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LocalHost_JobsEnabledNotABoolean_FailsStartupNamingIt()
    {
        var settings = Settings();
        settings["Jobs:Enabled"] = "sometimes";

        var error = Assert.Throws<InvalidOperationException>(() => Create(new ProbeJob("* * * * * *"), settings));

        Assert.Contains("Jobs:Enabled", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalSettingsSample_StartsTheHostInDevelopment()
    {
        // local.settings.sample.json is what `func start` users copy: every value in it must pass startup validation.
        var path = Path.Combine(Repository.Root, "local.settings.sample.json");
        var values = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("Values");
        var settings = values.EnumerateObject().ToDictionary(p => p.Name.Replace("__", ":", StringComparison.Ordinal), p => (string?)p.Value.GetString());
        settings["COSMOS:createIfMissing"] = "false"; // no Cosmos here; nothing else in the sample is overridden
        settings["Jobs:Enabled"] = "false";
        await using var app = LocalHostApp.Create(["--environment", "Development", "--urls", "http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(settings));

        await app.StartAsync();
        await app.StopAsync();

        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s is ScheduledJobRunner);
    }

    [Fact]
    public async Task TestHost_TurnsTheRunnerOffByDefault()
    {
        await using var host = await TestHost.StartAsync();

        Assert.False(host.Services.GetRequiredService<IOptions<JobsOptions>>().Value.Enabled);
    }

    private static WebApplication Create(IScheduledJob job, Dictionary<string, string?> settings) =>
        LocalHostApp.Create(["--environment", "Production", "--urls", "http://127.0.0.1:0"], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            b.Services.AddSingleton(job);
        });

    private sealed class ProbeJob(string defaultSchedule) : IScheduledJob
    {
        public const string Setting = "PROBE_SCHEDULE";

        public TaskCompletionSource Ran { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "ProbeJob";

        public string ScheduleSetting => Setting;

        public string DefaultSchedule => defaultSchedule;

        public Task RunAsync(CancellationToken cancellationToken)
        {
            Ran.TrySetResult();
            return Task.CompletedTask;
        }
    }
}
