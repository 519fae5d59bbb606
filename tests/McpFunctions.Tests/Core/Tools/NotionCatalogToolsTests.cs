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
            Assert.Empty(ArgumentValidator.UnsupportedKeywords(tool.InputSchema));
            Assert.Empty(ArgumentValidator.InvalidKeywords(tool.InputSchema));
        });
    }

    [Theory]
    [MemberData(nameof(NotionToolNames))]
    public void Render_MinimalRequiredArguments_ValidatesAndFillsThePath(string toolName)
    {
        var tool = Notion.Value.Tools.Single(t => t.Name == toolName);
        var arguments = CatalogSamples.MinimalArguments(tool.InputSchema);

        Assert.Null(ArgumentValidator.Validate(tool.InputSchema, arguments));
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

        var call = ToolRequestRenderer.Render(tool, Json($$"""{"page_id":"{{Uuid}}","account":"work"}"""));

        Assert.Equal(("PATCH", $"/v1/pages/{Uuid}", """{"archived":true}"""), (call.Method, call.PathAndQuery, Text(call.JsonBody)));
    }

    [Fact]
    public void Render_CreatePageUnderDatabase_SendsOnlyThatParent()
    {
        var tool = Notion.Value.Tools.Single(t => t.Name == "notion_create_page");

        var call = ToolRequestRenderer.Render(tool, Json($$$$"""{"parent_database_id":"{{{{Uuid}}}}","properties":{"Name":{"title":[]}}}"""));

        Assert.Equal($$$$"""{"parent":{"database_id":"{{{{Uuid}}}}"},"properties":{"Name":{"title":[]}}}""", Text(call.JsonBody));
    }

    [Fact]
    public void Validate_ReadPageWithTraversalId_IsRefusedBeforeRendering()
    {
        var tool = Notion.Value.Tools.Single(t => t.Name == "notion_read_page");

        var failure = ArgumentValidator.Validate(tool.InputSchema, Json("""{"page_id":"../../v1/users/aaaaaaaaaaaaaaaaaaa"}"""));

        Assert.NotNull(failure);
        Assert.StartsWith("page_id: must match the pattern", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SchemaWithUnsupportedKeyword_FailsNamingFileToolAndKeyword()
    {
        var catalog = CatalogWithSchema("""{"type":"object","properties":{"filter":{"type":"object","oneOf":[{"required":["a"]}]}}}""");

        var ex = Assert.Throws<InvalidOperationException>(() => ProviderCatalog.Load([("broken.json", catalog)], McpJsonContext.Default.ProviderDescriptor));

        Assert.Contains("'broken.json'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("tools[demo_tool].inputSchema.properties.filter.oneOf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SchemaWithMalformedPattern_FailsNamingTheKeyword()
    {
        var catalog = CatalogWithSchema("""{"type":"object","properties":{"id":{"type":"string","pattern":"([a-z"}}}""");

        var ex = Assert.Throws<InvalidOperationException>(() => ProviderCatalog.Load([("broken.json", catalog)], McpJsonContext.Default.ProviderDescriptor));

        Assert.Contains("tools[demo_tool].inputSchema.properties.id.pattern", ex.Message, StringComparison.Ordinal);
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
