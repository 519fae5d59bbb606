using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpFunctions.Core.Jobs;
using McpFunctions.Tests.Fixtures;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.Startup;

/// <summary>The Function App cannot be built on our machines, so this reads its sources and holds them to what the
/// LocalHost really maps: same routes, same methods, same handlers, and a timer for every scheduled job.</summary>
public sealed partial class FunctionRouteParityTests : IClassFixture<FunctionRouteParityTests.LocalHostRoutes>
{
    private readonly LocalHostRoutes localHost;

    public FunctionRouteParityTests(LocalHostRoutes localHost) => this.localHost = localHost;

    private static IReadOnlyList<FunctionSource> Functions { get; } = FunctionSource.ReadAll(Path.Combine(RepositoryRoot(), "functions", "McpFunctions.FunctionApp"));

    private static IEnumerable<FunctionSource> HttpFunctions => Functions.Where(f => f.Route is not null);

    [Fact]
    public void Sources_AreFoundAndFunctionNamesAreUnique()
    {
        Assert.True(HttpFunctions.Count() >= 9, "expected the Function App's HTTP functions; the source reader found " + HttpFunctions.Count());
        Assert.Contains(Functions, f => f.TimerSetting is not null);
        var duplicates = Functions.GroupBy(f => f.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "function names used twice: " + string.Join(", ", duplicates));
    }

    [Fact]
    public void EveryLocalHostRoute_HasAFunctionWithTheSameMethod()
    {
        var functions = HttpFunctions.SelectMany(f => f.Methods.Select(m => Key(m, f.Route!))).ToHashSet();

        var missing = localHost.Endpoints.Select(e => e.Key).Where(k => !functions.Contains(k)).Order().ToList();

        Assert.True(missing.Count == 0, "LocalHost routes without a function in functions/McpFunctions.FunctionApp:\n  " + string.Join("\n  ", missing));
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
    public void EveryHttpFunction_CallsTheHandlerTheLocalHostMaps()
    {
        var wrong = new List<string>();
        foreach (var function in HttpFunctions)
        {
            foreach (var method in function.Methods)
            {
                var endpoint = localHost.Endpoints.FirstOrDefault(e => e.Key == Key(method, function.Route!));
                if (endpoint?.Handler is { } handler && !function.Body.Contains(handler + "(", StringComparison.Ordinal))
                {
                    wrong.Add($"{function.Name} ({Key(method, function.Route!)}) should call {handler}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void EveryHttpFunction_IsAnonymousAtTheFunctionsLevel()
    {
        // Callers send a bearer JWT the handlers validate; a function key would be a second, unrelated secret.
        var keyed = HttpFunctions.Where(f => f.AuthorizationLevel != "Anonymous").Select(f => $"{f.Name}: {f.AuthorizationLevel}").ToList();

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
        var root = RepositoryRoot();
        var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "local.settings.sample.json"))).RootElement.GetProperty("Values");
        var bicep = string.Concat(Directory.EnumerateFiles(Path.Combine(root, "infra"), "*.bicep", SearchOption.AllDirectories).Select(File.ReadAllText));
        var missing = new List<string>();
        foreach (var setting in Functions.Select(f => f.TimerSetting).OfType<string>())
        {
            if (!sample.TryGetProperty(setting, out var value) || !CronSchedule.TryParse(value.GetString(), out _, out _))
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
    public void FunctionAppProject_CopiesTheRootHostJson_AndNeverPublishesLocalSettings()
    {
        // `func start` runs the host in bin/output and azd publishes: host.json (only at the repository root) must reach
        // both; local.settings.json holds a developer's secrets and must reach neither the package nor a second item.
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(RepositoryRoot(), "functions", "McpFunctions.FunctionApp", "McpFunctions.FunctionApp.csproj"));
        var none = project.Descendants("None").ToList();

        var host = Assert.Single(none, n => (string?)n.Attribute("Include") == @"..\..\host.json");
        Assert.Equal("host.json", (string?)host.Attribute("Link"));
        Assert.Equal("PreserveNewest", (string?)host.Attribute("CopyToOutputDirectory"));
        Assert.Equal("PreserveNewest", (string?)host.Attribute("CopyToPublishDirectory"));
        var settings = Assert.Single(none, n => ((string?)n.Attribute("Include") ?? (string?)n.Attribute("Update")) == "local.settings.json");
        Assert.Equal("local.settings.json", (string?)settings.Attribute("Update"));
        Assert.Equal("Never", (string?)settings.Attribute("CopyToPublishDirectory"));
        Assert.True(File.Exists(Path.Combine(RepositoryRoot(), "host.json")));
    }

    [Fact]
    public void HostJson_RoutePrefixIsEmpty()
    {
        // Function routes carry their own "api/" so that /.well-known/... can live beside them.
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "host.json"))).RootElement;

        Assert.Equal("", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    private static string Key(string method, string route) => $"{method.ToUpperInvariant()} /{route.TrimStart('/')}";

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "McpFunctions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("McpFunctions.sln not found above " + AppContext.BaseDirectory);
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

    /// <summary>One <c>[Function]</c> method as written in the Function App's source.</summary>
    private sealed partial record FunctionSource(string Name, string? AuthorizationLevel, IReadOnlyList<string> Methods, string? Route, string? TimerSetting, string Body)
    {
        public static List<FunctionSource> ReadAll(string folder)
        {
            var functions = new List<FunctionSource>();
            foreach (var file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            {
                var text = File.ReadAllText(file);
                var starts = FunctionAttribute().Matches(text).ToList();
                for (var i = 0; i < starts.Count; i++)
                {
                    var end = i + 1 < starts.Count ? starts[i + 1].Index : text.Length;
                    var body = text[starts[i].Index..end];
                    var name = starts[i].Groups["name"].Value;
                    if (HttpTrigger().Match(body) is { Success: true } http)
                    {
                        var arguments = http.Groups["args"].Value;
                        var route = RouteArgument().Match(arguments);
                        var methods = StringLiteral().Matches(RouteArgument().Replace(arguments, "")).Select(m => m.Groups[1].Value).ToList();
                        functions.Add(new FunctionSource(name, http.Groups["level"].Value, methods, route.Success ? route.Groups[1].Value : "", null, body));
                    }
                    else if (TimerTrigger().Match(body) is { Success: true } timer)
                    {
                        functions.Add(new FunctionSource(name, null, [], null, timer.Groups["setting"].Value, body));
                    }
                    else
                    {
                        throw new InvalidOperationException($"{Path.GetFileName(file)}: function {name} has neither an HttpTrigger nor a TimerTrigger this test can read.");
                    }
                }
            }

            return functions;
        }

        [GeneratedRegex(@"\[Function\(""(?<name>[^""]+)""\)\]")]
        private static partial Regex FunctionAttribute();

        [GeneratedRegex(@"\[HttpTrigger\(AuthorizationLevel\.(?<level>\w+)(?<args>[^\)]*)\)\]")]
        private static partial Regex HttpTrigger();

        [GeneratedRegex(@"\[TimerTrigger\(""%(?<setting>\w+)%""\)\]")]
        private static partial Regex TimerTrigger();

        [GeneratedRegex(@"Route\s*=\s*""([^""]*)""")]
        private static partial Regex RouteArgument();

        [GeneratedRegex(@"""([^""]*)""")]
        private static partial Regex StringLiteral();
    }
}
