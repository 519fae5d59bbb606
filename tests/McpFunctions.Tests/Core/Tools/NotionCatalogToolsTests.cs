using System.Text;
using System.Text.Json;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using McpFunctions.Http.Json;
using static McpFunctions.Tests.Core.Tools.ToolFixtures;

namespace McpFunctions.Tests.Core.Tools;

/// <summary>The real Notion catalog through the loader, the validator and the renderer.</summary>
public sealed class NotionCatalogToolsTests
{
    private const string Uuid = "59833787-2cf9-4fdf-8782-e53db20768a5";

    private static readonly Lazy<ProviderDescriptor> Notion = new(() =>
        ProviderCatalog.Load(ProviderCatalog.EmbeddedFiles(), McpJsonContext.Default.ProviderDescriptor).Get("notion"));

    public static TheoryData<string> NotionToolNames()
    {
        var names = new TheoryData<string>();
        foreach (var tool in Notion.Value.Tools)
        {
            names.Add(tool.Name);
        }

        return names;
    }

    [Fact]
    public void Load_RealCatalog_HasTheTwentyOneNotionTools()
    {
        Assert.Equal(21, Notion.Value.Tools.Count);
    }

    [Fact]
    public void Load_RealCatalog_UsesOnlyEnforcedKeywords()
    {
        Assert.All(Notion.Value.Tools, tool =>
        {
            Assert.NotNull(ToolInputSchema.Compile(tool.InputSchema));
        });
    }

    [Theory]
    [MemberData(nameof(NotionToolNames))]
    public void Render_MinimalRequiredArguments_ValidatesAndFillsThePath(string toolName)
    {
        var tool = Notion.Value.Tools.Single(t => t.Name == toolName);
        var arguments = CatalogSamples.MinimalArguments(tool.InputSchema);

        Assert.Null(ToolInputSchema.Compile(tool.InputSchema).Validate(arguments));
        var call = ToolRequestRenderer.Render(tool, arguments);

        Assert.Equal(tool.Request.Method, call.Method);
        Assert.StartsWith("/v1/", call.PathAndQuery, StringComparison.Ordinal);
        Assert.DoesNotContain('{', call.PathAndQuery);
        Assert.DoesNotContain('}', call.PathAndQuery);
        if (!call.JsonBody.IsEmpty)
        {
            using var body = JsonDocument.Parse(call.JsonBody);
            Assert.Equal(JsonValueKind.Object, body.RootElement.ValueKind);
            Assert.DoesNotContain("\"{", Text(call.JsonBody), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Render_ArchivePage_SendsTheLiteralBody()
    {
        var tool = Notion.Value.Tools.Single(t => t.Name == "notion_archive_page");

        var call = ToolRequestRenderer.Render(tool, JsonOf($$"""{"page_id":"{{Uuid}}","account":"work"}"""));

        Assert.Equal(("PATCH", $"/v1/pages/{Uuid}", """{"archived":true}"""), (call.Method, call.PathAndQuery, Text(call.JsonBody)));
    }

    [Fact]
    public void Render_CreatePageUnderDatabase_SendsOnlyThatParent()
    {
        var tool = Notion.Value.Tools.Single(t => t.Name == "notion_create_page");

        var call = ToolRequestRenderer.Render(tool, JsonOf($$$$"""{"parent_database_id":"{{{{Uuid}}}}","properties":{"Name":{"title":[]}}}"""));

        Assert.Equal($$$$"""{"parent":{"database_id":"{{{{Uuid}}}}"},"properties":{"Name":{"title":[]}}}""", Text(call.JsonBody));
    }

    [Fact]
    public void Validate_ReadPageWithTraversalId_IsRefusedBeforeRendering()
    {
        var tool = Notion.Value.Tools.Single(t => t.Name == "notion_read_page");

        var failure = ToolInputSchema.Compile(tool.InputSchema).Validate(JsonOf("""{"page_id":"../../v1/users/aaaaaaaaaaaaaaaaaaa"}"""));

        Assert.NotNull(failure);
        Assert.StartsWith("page_id: ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_InvalidSchema_FailsNamingFileAndTool()
    {
        var catalog = CatalogWithSchema("""{"type":"object","properties":{"filter":{"type":"objekt"}}}""");

        var ex = Assert.Throws<InvalidOperationException>(() => ProviderCatalog.Load([("broken.json", catalog)], McpJsonContext.Default.ProviderDescriptor));

        Assert.Contains("'broken.json'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("tools[demo_tool].inputSchema", ex.Message, StringComparison.Ordinal);
        Assert.Contains("objekt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SchemaWithKeywordsBeyondTheOldSubset_Loads()
    {
        // Full JSON Schema 2020-12 now: oneOf is enforced, not refused.
        var catalog = CatalogWithSchema("""{"type":"object","properties":{"filter":{"type":"object","oneOf":[{"required":["a"]}]}}}""");

        var loaded = ProviderCatalog.Load([("fine.json", catalog)], McpJsonContext.Default.ProviderDescriptor);

        Assert.NotNull(ToolInputSchema.Compile(loaded.ToolsByName["demo_tool"].Tool.InputSchema).Validate(JsonOf("""{"filter":{"b":1}}""")));
    }

    [Fact]
    public void Load_SchemaWithMalformedPattern_FailsNamingTheKeyword()
    {
        var catalog = CatalogWithSchema("""{"type":"object","properties":{"id":{"type":"string","pattern":"([a-z"}}}""");

        var ex = Assert.Throws<InvalidOperationException>(() => ProviderCatalog.Load([("broken.json", catalog)], McpJsonContext.Default.ProviderDescriptor));

        Assert.Contains("tools[demo_tool].inputSchema", ex.Message, StringComparison.Ordinal);
        Assert.Contains("([a-z", ex.Message, StringComparison.Ordinal);
    }

    private static MemoryStream CatalogWithSchema(string schema) => new(Encoding.UTF8.GetBytes($$"""
        {
          "id": "demo",
          "displayName": "Demo",
          "auth": { "type": "api_key" },
          "api": { "baseUrl": "https://api.example.com", "authHeader": { "name": "Authorization", "value": "Bearer {token}" } },
          "tools": [
            { "name": "demo_tool", "description": "Demo.", "inputSchema": {{schema}}, "request": { "method": "GET", "path": "/v1/x" } }
          ]
        }
        """));
}
