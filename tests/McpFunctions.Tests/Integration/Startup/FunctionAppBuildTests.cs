using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpFunctions.Core.Jobs;
using McpFunctions.FunctionApp;
using McpFunctions.Http.Jobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Hosting;
using McpFunctions.Tests.Fixtures;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary>The Function App as the Worker SDK built it: its generated <c>functions.metadata</c> (what the Functions host
/// indexes) holds to what the LocalHost really maps — same routes, same methods, a timer for every scheduled job — its
/// output holds what the host needs to start, and its host builds with every function class resolvable.</summary>
public sealed class FunctionAppBuildTests : IClassFixture<FunctionAppBuildTests.LocalHostRoutes>
{
    private readonly LocalHostRoutes localHost;

    public FunctionAppBuildTests(LocalHostRoutes localHost) => this.localHost = localHost;

    private static IReadOnlyList<GeneratedFunction> Functions { get; } = GeneratedFunction.ReadAll(OutputDirectory());

    private static IEnumerable<GeneratedFunction> HttpFunctions => Functions.Where(f => f.Route is not null);

    [Fact]
    public void Metadata_IsGeneratedAndFunctionNamesAreUnique()
    {
        Assert.True(HttpFunctions.Count() >= 9, "expected the Function App's HTTP functions in functions.metadata; found " + HttpFunctions.Count());
        Assert.Contains(Functions, f => f.TimerSetting is not null);
        var duplicates = Functions.GroupBy(f => f.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "function names used twice: " + string.Join(", ", duplicates));
    }

    [Fact]
    public void Output_HoldsWhatTheFunctionsHostNeedsToStart()
    {
        var output = OutputDirectory();
        var missing = new[] { "host.json", "functions.metadata", "worker.config.json", "extensions.json", "McpFunctions.FunctionApp.dll" }
            .Where(f => !File.Exists(Path.Combine(output, f)))
            .ToList();
        // The generated extensions project's output: the metadata loader the host's extensions.json points at.
        var extensions = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "extensions.json"))).RootElement.GetProperty("extensions");
        foreach (var hint in extensions.EnumerateArray().Select(e => e.GetProperty("hintPath").GetString()!))
        {
            if (!File.Exists(Path.Combine(output, hint)))
            {
                missing.Add(hint);
            }
        }

        var worker = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "worker.config.json"))).RootElement.GetProperty("description");
        Assert.Equal("dotnet-isolated", worker.GetProperty("language").GetString());
        Assert.Equal("McpFunctions.FunctionApp.dll", worker.GetProperty("defaultWorkerPath").GetString());
        Assert.True(missing.Count == 0, "missing from the Function App's build output: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryLocalHostRoute_HasAFunctionWithTheSameMethod()
    {
        var functions = HttpFunctions.SelectMany(f => f.Methods.Select(m => Key(m, f.Route!))).ToHashSet();

        var missing = localHost.Endpoints.Select(e => e.Key).Where(k => !functions.Contains(k)).Order().ToList();

        Assert.True(missing.Count == 0, "LocalHost routes without a function in functions.metadata:\n  " + string.Join("\n  ", missing));
    }

    [Fact]
    public void EveryHttpFunction_MapsToALocalHostRoute()
    {
        var mapped = localHost.Endpoints.Select(e => e.Key).ToHashSet();

        var extra = HttpFunctions
            .SelectMany(f => f.Methods.Select(m => (f.Name, Key: Key(m, f.Route!))))
            .Where(x => !mapped.Contains(x.Key))
            .Select(x => $"{x.Name}: {x.Key}")
            .ToList();

        Assert.True(extra.Count == 0, "functions whose route or method the LocalHost does not map:\n  " + string.Join("\n  ", extra));
    }

    [Fact]
    public void EveryRouteAndMethod_HasExactlyOneFunction()
    {
        var twice = HttpFunctions
            .SelectMany(f => f.Methods.Select(m => (Key: Key(m, f.Route!), f.Name)))
            .GroupBy(x => x.Key)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Name))}")
            .ToList();

        Assert.True(twice.Count == 0, "routes served by two functions:\n  " + string.Join("\n  ", twice));
    }

    [Fact]
    public void EveryHttpFunction_IsAnonymousAtTheFunctionsLevel()
    {
        // Callers send a bearer JWT the handlers validate; a function key would be a second, unrelated secret.
        var keyed = HttpFunctions.Where(f => f.AuthLevel != "Anonymous").Select(f => $"{f.Name}: {f.AuthLevel}").ToList();

        Assert.True(keyed.Count == 0, string.Join("\n", keyed));
    }

    [Fact]
    public void TimerFunctions_MatchTheRegisteredJobs()
    {
        var timers = Functions.Where(f => f.TimerSetting is not null).Select(f => $"{f.Name} on %{f.TimerSetting}%").Order().ToList();
        var jobs = localHost.Jobs.Select(j => $"{j.Name} on %{j.ScheduleSetting}%").Order().ToList();

        Assert.True(
            timers.SequenceEqual(jobs),
            $"timer functions and registered IScheduledJobs differ.\n  timers: {string.Join(", ", timers)}\n  jobs:   {string.Join(", ", jobs)}");
    }

    [Fact]
    public void TimerSettings_HaveDefaultsInTheSampleSettingsAndTheInfrastructure()
    {
        // The Functions host does not index a timer whose %SETTING% is missing: every one needs a value everywhere.
        var root = Repository.Root;
        var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "local.settings.sample.json"))).RootElement.GetProperty("Values");
        var bicep = string.Concat(Directory.EnumerateFiles(Path.Combine(root, "infra"), "*.bicep", SearchOption.AllDirectories).Select(File.ReadAllText));
        var missing = new List<string>();
        foreach (var setting in Functions.Select(f => f.TimerSetting).OfType<string>())
        {
            if (!sample.TryGetProperty(setting, out var value) || !JobSchedule.TryParse(value.GetString(), out _, out _))
            {
                missing.Add($"{setting}: no valid schedule in local.settings.sample.json");
            }

            if (!Regex.IsMatch(bicep, $@"\b{Regex.Escape(setting)}\s*:"))
            {
                missing.Add($"{setting}: not among the app settings in infra/*.bicep");
            }
        }

        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [Fact]
    public async Task Host_BuildsAsProgramDoes_AndResolvesEveryFunctionClass()
    {
        var settings = StartupSettings.Valid();
        settings["ASPNETCORE_ENVIRONMENT"] = "Production";
        settings["DOTNET_ENVIRONMENT"] = "Production";
        using var host = FunctionAppHost.Build([], settings);
        var environment = host.Services.GetRequiredService<IHostEnvironment>();

        var classes = typeof(FunctionAppHost).Assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null))
            .ToList();
        var failures = new List<string>();
        foreach (var type in classes.Where(t => !(t.IsAbstract && t.IsSealed)))
        {
            try
            {
                Assert.NotNull(ActivatorUtilities.CreateInstance(host.Services, type));
            }
            catch (InvalidOperationException ex)
            {
                failures.Add($"{type.Name}: {ex.Message}");
            }
        }

        Assert.Equal("Production", environment.EnvironmentName);
        Assert.True(classes.Count >= 5, "expected the function classes; found " + classes.Count);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        await host.StopAsync();
    }

    [Fact]
    public void FunctionAppProject_CopiesTheRootHostJson_AndNeverPublishesLocalSettings()
    {
        // `func start` runs the host in bin/output and azd publishes: host.json (only at the repository root) must reach
        // both; local.settings.json holds a developer's secrets and must reach neither the package nor a second item.
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(Repository.Root, "functions", "McpFunctions.FunctionApp", "McpFunctions.FunctionApp.csproj"));
        var none = project.Descendants("None").ToList();

        var host = Assert.Single(none, n => (string?)n.Attribute("Include") == @"..\..\host.json");
        Assert.Equal("host.json", (string?)host.Attribute("Link"));
        Assert.Equal("PreserveNewest", (string?)host.Attribute("CopyToOutputDirectory"));
        Assert.Equal("PreserveNewest", (string?)host.Attribute("CopyToPublishDirectory"));
        var settings = Assert.Single(none, n => ((string?)n.Attribute("Include") ?? (string?)n.Attribute("Update")) == "local.settings.json");
        Assert.Equal("local.settings.json", (string?)settings.Attribute("Update"));
        Assert.Equal("Never", (string?)settings.Attribute("CopyToPublishDirectory"));
        Assert.True(File.Exists(Path.Combine(Repository.Root, "host.json")));
    }

    [Fact]
    public void HostJson_RoutePrefixIsEmpty()
    {
        // Function routes carry their own "api/" so that /.well-known/... can live beside them.
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "host.json"))).RootElement;

        Assert.Equal("", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    private static string Key(string method, string route) => $"{method.ToUpperInvariant()} /{route.TrimStart('/')}";

    /// <summary>The Function App's build output for the configuration these tests were built in.</summary>
    private static string OutputDirectory()
    {
        // tests/McpFunctions.Tests/bin/{Configuration}/{TargetFramework}/
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(Repository.Root, "functions", "McpFunctions.FunctionApp", "bin", framework.Parent!.Name, framework.Name);
    }


    /// <summary>What the real LocalHost maps and registers, read once from a started <see cref="TestHost"/>.</summary>
    public sealed class LocalHostRoutes : IAsyncLifetime
    {
        public IReadOnlyList<MappedEndpoint> Endpoints { get; private set; } = [];

        public IReadOnlyList<IScheduledJob> Jobs { get; private set; } = [];

        public async Task InitializeAsync()
        {
            await using var host = await TestHost.StartAsync();
            Endpoints = [.. host.Services.GetRequiredService<EndpointDataSource>().Endpoints
                .OfType<RouteEndpoint>()
                .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
                    .Select(m => new MappedEndpoint(Key(m, e.RoutePattern.RawText!), Handler(e.Metadata.GetMetadata<MethodInfo>()))))];
            Jobs = [.. host.Services.GetServices<IScheduledJob>()];
        }

        public Task DisposeAsync() => Task.CompletedTask;

        /// <summary><c>ConnectionsApi.Connect</c> for a method group; null for a lambda, whose name says nothing.</summary>
        private static string? Handler(MethodInfo? method) =>
            method is { DeclaringType: { } type } && !method.Name.Contains('<', StringComparison.Ordinal) && !type.Name.Contains('<', StringComparison.Ordinal)
                ? $"{type.Name}.{method.Name}"
                : null;
    }

    public sealed record MappedEndpoint(string Key, string? Handler);

    /// <summary>One function as the Worker SDK generated it into <c>functions.metadata</c>.</summary>
    private sealed record GeneratedFunction(string Name, string? AuthLevel, IReadOnlyList<string> Methods, string? Route, string? TimerSetting)
    {
        public static List<GeneratedFunction> ReadAll(string output)
        {
            var path = Path.Combine(output, "functions.metadata");
            Assert.True(File.Exists(path), $"{path} is missing: the Function App was not built with the Worker SDK");
            var functions = new List<GeneratedFunction>();
            foreach (var function in JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray())
            {
                var name = function.GetProperty("name").GetString()!;
                var trigger = function.GetProperty("bindings").EnumerateArray()
                    .Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase));
                switch (trigger.GetProperty("type").GetString())
                {
                    case "httpTrigger":
                        functions.Add(new GeneratedFunction(
                            name,
                            trigger.TryGetProperty("authLevel", out var level) ? level.GetString() : null,
                            [.. trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!)],
                            trigger.GetProperty("route").GetString(),
                            null));
                        break;
                    case "timerTrigger":
                        var schedule = trigger.GetProperty("schedule").GetString()!;
                        Assert.Matches(@"\A%\w+%\z", schedule);
                        functions.Add(new GeneratedFunction(name, null, [], null, schedule.Trim('%')));
                        break;
                    default:
                        throw new InvalidOperationException($"function {name} has a trigger this test does not know: {trigger}");
                }
            }

            return functions;
        }
    }
}
