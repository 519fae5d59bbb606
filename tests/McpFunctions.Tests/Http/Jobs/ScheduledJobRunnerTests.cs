using McpFunctions.Core.Jobs;
using McpFunctions.Http.Jobs;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpFunctions.Tests.Http.Jobs;

/// <summary>The LocalHost's job runner against a manual clock: nothing here waits for real time to pass.</summary>
public sealed class ScheduledJobRunnerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Runner_RunsTheJobWhenDue_AndAgainAtTheNextOccurrence()
    {
        var job = new RecordingJob("*/10 * * * * *");
        await using var rig = await Rig.StartAsync(job);

        rig.Clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, job.Runs); // not due yet: 12:00:10 is
        rig.Clock.Advance(TimeSpan.FromSeconds(1));
        await job.WaitForRunsAsync(1);
        Assert.Equal(Start.AddSeconds(10), job.StartedAt[0]);

        await rig.Clock.WaitForPendingTimersAsync(1, Patience);
        rig.Clock.Advance(TimeSpan.FromSeconds(10));
        await job.WaitForRunsAsync(2);
        Assert.Equal(Start.AddSeconds(20), job.StartedAt[1]);
        Assert.Contains(rig.Logs.Lines, l => l.Contains("Job RecordingJob finished in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Runner_OneRunAtATime_OccurrencesDuringARunAreSkipped()
    {
        var job = new RecordingJob("*/10 * * * * *") { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var rig = await Rig.StartAsync(job);

        rig.Clock.Advance(TimeSpan.FromSeconds(10));
        await job.WaitForStartsAsync(1);
        rig.Clock.Advance(TimeSpan.FromSeconds(35)); // 12:00:45: the 20, 30 and 40 occurrences pass while the run is busy
        Assert.Equal(1, job.Starts);
        job.Gate.SetResult();
        await job.WaitForRunsAsync(1);

        await rig.Clock.WaitForPendingTimersAsync(1, Patience);
        rig.Clock.Advance(TimeSpan.FromSeconds(5)); // 12:00:50, the next occurrence after the run ended
        await job.WaitForRunsAsync(2);

        Assert.Equal(2, job.Starts);
        Assert.Equal(1, job.MaxConcurrent);
        Assert.Equal(Start.AddSeconds(50), job.StartedAt[1]);
    }

    [Fact]
    public async Task Runner_FailingRun_IsLoggedWithTheJobName_AndTheNextRunHappens()
    {
        var job = new RecordingJob("*/10 * * * * *") { FailFirst = true };
        await using var rig = await Rig.StartAsync(job);

        rig.Clock.Advance(TimeSpan.FromSeconds(10));
        await job.WaitForStartsAsync(1);
        await rig.Clock.WaitForPendingTimersAsync(1, Patience);
        rig.Clock.Advance(TimeSpan.FromSeconds(10));
        await job.WaitForRunsAsync(1);

        Assert.Equal(2, job.Starts);
        var failure = Assert.Single(rig.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
        Assert.Contains("Job RecordingJob failed after", failure, StringComparison.Ordinal);
        Assert.Contains("first run breaks", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runner_Stopping_CancelsTheRunningJobWithoutCallingItAFailure()
    {
        var job = new RecordingJob("*/10 * * * * *") { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var rig = await Rig.StartAsync(job);

        rig.Clock.Advance(TimeSpan.FromSeconds(10));
        await job.WaitForStartsAsync(1);
        await rig.DisposeAsync();

        Assert.True(job.SawCancellation);
        Assert.DoesNotContain(rig.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
        Assert.Contains(rig.Logs.Lines, l => l.Contains("Job RecordingJob stopped by shutdown", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Runner_Disabled_RunsNothing()
    {
        var job = new RecordingJob("*/10 * * * * *");
        await using var rig = await Rig.StartAsync(job, enabled: false);

        rig.Clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(0, rig.Clock.PendingTimers);
        Assert.Equal(0, job.Starts);
        Assert.Contains(rig.Logs.Lines, l => l.Contains("Scheduled jobs are off (Jobs__Enabled=false)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Runner_SettingOverridesTheDefaultSchedule()
    {
        var job = new RecordingJob("*/10 * * * * *");
        await using var rig = await Rig.StartAsync(job, settings: new() { [RecordingJob.Setting] = "0 0 * * * *" });

        var plan = Assert.Single(rig.Runner.Plans);
        Assert.Equal("0 0 * * * *", plan.Schedule.Expression);
        Assert.True(plan.FromSetting);
        rig.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, job.Starts);
        rig.Clock.Advance(TimeSpan.FromMinutes(1));
        await job.WaitForRunsAsync(1);
        Assert.Equal(Start.AddHours(1), job.StartedAt[0]);
    }

    [Theory]
    [InlineData("*/5 * * * *", "expected 6 fields")]
    [InlineData("0 61 * * * *", "61")]
    public async Task Runner_InvalidSetting_FailsStartNamingTheSetting(string schedule, string reason)
    {
        var job = new RecordingJob("*/10 * * * * *");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Rig.StartAsync(job, enabled: false, settings: new() { [RecordingJob.Setting] = schedule }));

        Assert.StartsWith($"{RecordingJob.Setting} = '{schedule}' is not a six-field NCRONTAB expression", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runner_InvalidDefault_FailsStartNamingJobAndSetting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Rig.StartAsync(new RecordingJob("every five minutes")));

        Assert.Contains("default schedule of job RecordingJob", error.Message, StringComparison.Ordinal);
        Assert.Contains(RecordingJob.Setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runner_TwoJobsWithOneName_FailStart()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Rig.StartAsync([new RecordingJob("*/10 * * * * *"), new RecordingJob("*/20 * * * * *")]));

        Assert.Contains("Two scheduled jobs are named RecordingJob", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_UnknownName_ListsWhatIsRegistered()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => ScheduledJobExecution.Find([new RecordingJob("* * * * * *")], "RefreshSweep"));

        Assert.Contains("No scheduled job named RefreshSweep", error.Message, StringComparison.Ordinal);
        Assert.Contains("RecordingJob", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A runner over a manual clock and the given jobs, started.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly ServiceProvider services;
        private readonly LoggerFactory loggers;
        private bool stopped;

        private Rig(ServiceProvider services, LoggerFactory loggers, ScheduledJobRunner runner, ManualTimeProvider clock, CapturedLogs logs)
        {
            this.services = services;
            this.loggers = loggers;
            Runner = runner;
            Clock = clock;
            Logs = logs;
        }

        public ScheduledJobRunner Runner { get; }

        public ManualTimeProvider Clock { get; }

        public CapturedLogs Logs { get; }

        public static Task<Rig> StartAsync(IScheduledJob job, bool enabled = true, Dictionary<string, string?>? settings = null) =>
            StartAsync([job], enabled, settings);

        public static async Task<Rig> StartAsync(IScheduledJob[] jobs, bool enabled = true, Dictionary<string, string?>? settings = null)
        {
            var clock = new ManualTimeProvider(Start);
            var collection = new ServiceCollection();
            foreach (var job in jobs)
            {
                if (job is RecordingJob recording)
                {
                    recording.Clock = clock;
                }

                collection.AddSingleton(job);
            }

            var services = collection.BuildServiceProvider();
            var logs = new CapturedLogs();
            var loggers = new LoggerFactory([logs]);
            var runner = new ScheduledJobRunner(
                services.GetRequiredService<IServiceScopeFactory>(),
                new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build(),
                Options.Create(new JobsOptions { Enabled = enabled }),
                clock,
                loggers.CreateLogger<ScheduledJobRunner>());
            try
            {
                await runner.StartAsync(CancellationToken.None);
                if (enabled)
                {
                    // The loop computes its first due time from the clock before waiting: wait for that, then move time.
                    await clock.WaitForPendingTimersAsync(jobs.Length, Patience);
                }
            }
            catch
            {
                runner.Dispose();
                loggers.Dispose();
                await services.DisposeAsync();
                throw;
            }

            return new Rig(services, loggers, runner, clock, logs);
        }

        public async ValueTask DisposeAsync()
        {
            if (stopped)
            {
                return;
            }

            stopped = true;
            await Runner.StopAsync(CancellationToken.None);
            Runner.Dispose();
            loggers.Dispose();
            await services.DisposeAsync();
        }
    }

    /// <summary>A job that records when and how it ran, optionally holding each run until <see cref="Gate"/> opens.</summary>
    private sealed class RecordingJob(string defaultSchedule) : IScheduledJob
    {
        public const string Setting = "TEST_JOB_SCHEDULE";

        private readonly Lock gate = new();
        private readonly List<DateTimeOffset> startedAt = [];
        private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int running;

        public string Name => "RecordingJob";

        public string ScheduleSetting => Setting;

        public string DefaultSchedule => defaultSchedule;

        public TimeProvider? Clock { get; set; }

        public TaskCompletionSource? Gate { get; init; }

        public bool FailFirst { get; init; }

        public int Starts { get; private set; }

        public int Runs { get; private set; }

        public int MaxConcurrent { get; private set; }

        public bool SawCancellation { get; private set; }

        public IReadOnlyList<DateTimeOffset> StartedAt
        {
            get
            {
                lock (gate)
                {
                    return [.. startedAt];
                }
            }
        }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var first = Update(() =>
            {
                Starts++;
                running++;
                MaxConcurrent = Math.Max(MaxConcurrent, running);
                startedAt.Add(ClockNow());
                return Starts == 1;
            });
            try
            {
                if (FailFirst && first)
                {
                    throw new InvalidOperationException("first run breaks");
                }

                if (Gate is not null)
                {
                    try
                    {
                        await Gate.Task.WaitAsync(cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        SawCancellation = true;
                        throw;
                    }
                }

                Update(() => Runs++);
            }
            finally
            {
                Update(() => running--);
            }
        }

        public Task WaitForRunsAsync(int count) => WaitUntilAsync(() => Runs >= count);

        public Task WaitForStartsAsync(int count) => WaitUntilAsync(() => Starts >= count);

        private async Task WaitUntilAsync(Func<bool> condition)
        {
            using var cancel = new CancellationTokenSource(Patience);
            while (true)
            {
                Task next;
                lock (gate)
                {
                    if (condition())
                    {
                        return;
                    }

                    next = changed.Task;
                }

                await next.WaitAsync(cancel.Token);
            }
        }

        private T Update<T>(Func<T> change)
        {
            TaskCompletionSource previous;
            T result;
            lock (gate)
            {
                result = change();
                previous = changed;
                changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            previous.TrySetResult();
            return result;
        }

        private DateTimeOffset ClockNow() => Clock?.GetUtcNow() ?? default;
    }
}
