using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using McpFunctions.FunctionApp;
using McpFunctions.Http.ApiDocs;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;
using McpFunctions.Tests.Integration.Startup;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Integration.ApiDocs;

/// <summary><c>GET /api/openapi.json</c>: valid OpenAPI 3.1 by the specification's own schema (an npm validator), every
/// route described with its statuses and security, the same document from the Function App, and a client generated from
/// it (Kiota, as the README shows) that compiles and calls the running LocalHost.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class OpenApiDocumentTests(LocalHostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task Document_IsServedAnonymously_AndValidatesAsOpenApi31()
    {
        var (response, json) = await FetchAsync();
        var file = Path.Combine(Path.GetTempPath(), $"openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json);
        try
        {
            var run = await NodeScript.RunAsync("openapi-validate.mjs", [file]);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(run.ExitCode == 0, "the validator refused the document: " + run.Stdout + run.Stderr);
            Assert.Equal("3.1", JsonNode.Parse(run.Stdout)!["version"]!.GetValue<string>());
            Assert.StartsWith("3.1", JsonNode.Parse(json)!["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Validator_RefusesABrokenDocument()
    {
        // The check above is only worth something if the validator can say no.
        var (_, json) = await FetchAsync();
        var broken = JsonNode.Parse(json)!.AsObject();
        broken["paths"]!["/api/mcp/connections"]!["get"]!["responses"] = new JsonArray();
        var file = Path.Combine(Path.GetTempPath(), $"openapi-broken-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, broken.ToJsonString());
        try
        {
            var run = await NodeScript.RunAsync("openapi-validate.mjs", [file]);

            Assert.Equal(1, run.ExitCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Document_DescribesEveryRoute_WithUniqueOperationIds()
    {
        var document = JsonNode.Parse((await FetchAsync()).Json)!;
        var paths = document["paths"]!.AsObject();
        var routes = Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText != OpenApiDocumentApi.Route)
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m.ToLowerInvariant(), Path: Normalize(e.RoutePattern.RawText!))))
            .ToList();

        var missing = routes.Where(r => paths[r.Path]?[r.Method] is null).Select(r => $"{r.Method} {r.Path}").ToList();
        var operationIds = paths.SelectMany(p => p.Value!.AsObject().Select(o => o.Value!["operationId"]?.GetValue<string>())).ToList();

        Assert.True(routes.Count >= 18, "expected the mapped routes; found " + routes.Count);
        Assert.True(missing.Count == 0, "routes missing from the document: " + string.Join(", ", missing));
        Assert.DoesNotContain(null, operationIds);
        Assert.Equal(operationIds.Count, operationIds.Distinct().Count());
        Assert.Equal(routes.Count, operationIds.Count);
    }

    [Fact]
    public async Task AuthenticatedOperations_NameTheBearerScheme_AndTheirProblems()
    {
        var document = JsonNode.Parse((await FetchAsync()).Json)!;
        var scheme = document["components"]!["securitySchemes"]![ApiDescription.BearerScheme]!;
        var connect = document["paths"]!["/api/mcp/{provider}/connect"]!["post"]!;
        var health = document["paths"]!["/api/health"]!["get"]!;

        Assert.Equal("http", scheme["type"]!.GetValue<string>());
        Assert.Equal("bearer", scheme["scheme"]!.GetValue<string>());
        Assert.NotNull(connect["security"]![0]![ApiDescription.BearerScheme]);
        Assert.Null(health["security"]);
        Assert.Equal(
            ["200", "400", "401", "404", "409", "413", "500", "502", "503"],
            connect["responses"]!.AsObject().Select(r => r.Key).Order(StringComparer.Ordinal));
        var problem = connect["responses"]!["404"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>();
        Assert.Equal("#/components/schemas/ApiProblem", problem);
        Assert.Contains("code", document["components"]!["schemas"]!["ApiProblem"]!["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(
            "#/components/schemas/ConnectRequest",
            connect["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Equal(
            "#/components/schemas/HealthReport",
            health["responses"]!["503"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
    }

    [Fact]
    public async Task FunctionApp_ServesTheSameDocument()
    {
        var (_, local) = await FetchAsync();
        var settings = StartupSettings.Valid();
        settings["ASPNETCORE_ENVIRONMENT"] = "Production";
        settings["DOTNET_ENVIRONMENT"] = "Production";
        using var host = FunctionAppHost.Build([], settings);
        var functions = ActivatorUtilities.CreateInstance<McpServerFunctions>(host.Services);
        var http = new DefaultHttpContext { RequestServices = host.Services };
        http.Request.Scheme = Host.BaseAddress.Scheme;
        http.Request.Host = new HostString(Host.BaseAddress.Authority);
        http.Response.Body = new MemoryStream();

        var result = await functions.OpenApi(http.Request);
        await result.ExecuteAsync(http);

        http.Response.Body.Position = 0;
        var served = await new StreamReader(http.Response.Body).ReadToEndAsync();
        Assert.Equal(StatusCodes.Status200OK, http.Response.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(local), JsonNode.Parse(served)), "the Function App's document differs from the LocalHost's");
    }

    [Fact]
    public async Task GeneratedClient_Compiles_AndCallsTheApi()
    {
        var directory = Directory.CreateTempSubdirectory("mcpfunctions-client-");
        try
        {
            var (_, json) = await FetchAsync();
            var documentPath = Path.Combine(directory.FullName, "openapi.json");
            await File.WriteAllTextAsync(documentPath, json);
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "Client.csproj"), ClientProject);
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "Program.cs"), ClientProgram);

            // The README's command, with the document from a file instead of the URL.
            var generate = await RunAsync(
                "dotnet",
                ["tool", "run", "kiota", "generate", "-l", "CSharp", "-d", documentPath, "-o", Path.Combine(directory.FullName, "McpFunctionsClient"),
                 "-c", "McpFunctionsClient", "-n", "McpFunctions.Client", "--exclude-backward-compatible"],
                Repository.Root);
            Assert.True(generate.ExitCode == 0, "kiota generate failed:\n" + generate.Stdout + generate.Stderr);

            var build = await RunAsync("dotnet", ["build", "-nologo", "-v", "q", "-o", Path.Combine(directory.FullName, "out")], directory.FullName);
            Assert.True(build.ExitCode == 0, "the generated client does not compile:\n" + build.Stdout + build.Stderr);

            var user = $"client-{Guid.NewGuid():N}";
            var run = await RunAsync(
                "dotnet",
                [Path.Combine(directory.FullName, "out", "Client.dll"), Host.BaseAddress.ToString(), TestTokens.For(user, "tenant-client")],
                directory.FullName);

            Assert.True(run.ExitCode == 0, "the generated client failed:\n" + run.Stdout + run.Stderr);
            Assert.Equal(["health: alive", "connections: 0", "unknown provider: PROVIDER_NOT_FOUND"], run.Stdout.Trim().Split('\n').Select(l => l.Trim()));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private async Task<(HttpResponseMessage Response, string Json)> FetchAsync()
    {
        var response = await Host.SendAsync(HttpMethod.Get, OpenApiDocumentApi.Route, token: null);
        return (response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Route patterns as OpenAPI writes paths: a leading slash, no constraints.</summary>
    private static string Normalize(string pattern) => "/" + pattern.TrimStart('/');

    private static async Task<ChildProcessRun> RunAsync(string command, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // Kiota looks for a newer version of itself online; there is no need, and no network, here.
        start.Environment["KIOTA_UPDATE_DISABLED"] = "true";
        return await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(4));
    }

    private const string ClientProject = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Microsoft.Kiota.Abstractions" Version="2.1.6" />
            <PackageReference Include="Microsoft.Kiota.Http.HttpClientLibrary" Version="2.1.6" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Json" Version="2.1.6" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Text" Version="2.1.6" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Form" Version="2.1.6" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Multipart" Version="2.1.6" />
          </ItemGroup>
        </Project>
        """;

    private const string ClientProgram = """
        using McpFunctions.Client;
        using McpFunctions.Client.Models;
        using Microsoft.Kiota.Abstractions.Authentication;
        using Microsoft.Kiota.Http.HttpClientLibrary;

        var client = new McpFunctionsClient(new HttpClientRequestAdapter(new Bearer(args[1])) { BaseUrl = args[0].TrimEnd('/') });
        Console.WriteLine("health: " + (await client.Api.Health.Live.GetAsync())?.Status);
        Console.WriteLine("connections: " + (await client.Api.Mcp.Connections.GetAsync())?.Connections?.Count);
        try
        {
            await client.Api.Mcp["no-such-provider"].Status.GetAsync();
            Console.WriteLine("unknown provider: answered");
        }
        catch (ApiProblem problem)
        {
            Console.WriteLine("unknown provider: " + problem.Code);
        }

        // Kiota's own providers insist on https; the LocalHost under test speaks http on loopback.
        sealed class Bearer(string token) : IAuthenticationProvider
        {
            public Task AuthenticateRequestAsync(
                Microsoft.Kiota.Abstractions.RequestInformation request,
                Dictionary<string, object>? additionalAuthenticationContext = null,
                CancellationToken cancellationToken = default)
            {
                request.Headers.Add("Authorization", "Bearer " + token);
                return Task.CompletedTask;
            }
        }
        """;
}
