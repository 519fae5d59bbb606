using System.Text.Json;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using static McpFunctions.Tests.Core.Tools.ToolFixtures;

namespace McpFunctions.Tests.Core.Tools;

public sealed class ToolResponseShaperTests
{
    private static readonly ToolDescriptor JsonTool = Tool(new ToolRequest("GET", "/v1/pages/{page_id}"));

    private static readonly ToolDescriptor BlocksTool = Tool(
        new ToolRequest("GET", "/v1/blocks/{page_id}/children", Paginate: new Pagination("query", "start_cursor", "next_cursor", "has_more", "results")),
        output: "notion_blocks_text");

    [Fact]
    public void Shape_NotionBlocksWithFetchedChildren_IndentsThemUnderTheirBlock_AndNumbersEachLevel()
    {
        var tool = BlocksTool with
        {
            Request = BlocksTool.Request with { ExpandChildren = new ChildExpansion("has_children", "/v1/blocks/{id}/children") },
        };
        var reply = $$"""
            {"object":"list","has_more":false,"next_cursor":null,"results":[
              {{TextBlock("toggle", "Details", "\"has_children\":true,\"children\":[" + TextBlock("numbered_list_item", "first") + "," + TextBlock("numbered_list_item", "second", "\"has_children\":true,\"children\":[" + TextBlock("paragraph", "deep\\nline two") + "]") + "]")}},
              {{TextBlock("numbered_list_item", "after")}},
              {{TextBlock("toggle", "Not read", "\"has_children\":true")}}
            ]}
            """;

        var shaped = ToolResponseShaper.Shape(tool, Bytes(reply));

        Assert.Equal(
            "▸ Details\n  1. first\n  2. second\n    deep\n    line two\n1. after\n▸ Not read (nested content not shown: block b-Not read)",
            shaped.Text);
    }

    [Theory]
    [InlineData("""{"object":"list","has_more":false,"next_cursor":null,"results":[]}""")]
    [InlineData("""{"object":"list","has_more":true,"next_cursor":"c-2","results":[{"id":"b1","type":"paragraph","paragraph":{"rich_text":[]}}]}""")]
    [InlineData("""[{"id":"b1","type":"paragraph","paragraph":{"rich_text":[]}}]""")]
    [InlineData("""{"id":"b1","type":"paragraph","paragraph":{"rich_text":[]}}""")]
    public void Shape_NotionBlocks_StructuredContentConformsToTheAdvertisedOutputSchema(string reply)
    {
        var schema = Json.Schema.JsonSchema.FromText(ToolResponseShaper.OutputSchemaOf(BlocksTool)!.Value.GetRawText());

        var shaped = ToolResponseShaper.Shape(BlocksTool, Bytes(reply));

        Assert.True(schema.Evaluate(shaped.Structured).IsValid, shaped.Structured.GetRawText());
        Assert.False(schema.Evaluate(JsonDocument.Parse("""{"results":[],"block_count":-1}""").RootElement).IsValid);
        Assert.Null(ToolResponseShaper.OutputSchemaOf(JsonTool));
    }

    [Fact]
    public void Shape_JsonOutput_StructuredIsTheReplyAndTextIsIndented()
    {
        var shaped = ToolResponseShaper.Shape(JsonTool, Bytes("""{"object":"page","id":"p1","title":"Café"}"""));

        Assert.Equal("page", shaped.Structured.GetProperty("object").GetString());
        Assert.Equal("{\n  \"object\": \"page\",\n  \"id\": \"p1\",\n  \"title\": \"Café\"\n}", shaped.Text.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Shape_ExplicitJsonOutput_IsTheDefault()
    {
        var tool = JsonTool with { Output = "json" };

        Assert.Equal("p1", ToolResponseShaper.Shape(tool, Bytes("""{"id":"p1"}""")).Structured.GetProperty("id").GetString());
    }

    [Fact]
    public void Shape_JsonArrayReply_IsWrappedSoStructuredIsAnObject()
    {
        var shaped = ToolResponseShaper.Shape(JsonTool, Bytes("[1,2]"));

        Assert.Equal(JsonValueKind.Object, shaped.Structured.ValueKind);
        Assert.Equal(2, shaped.Structured.GetProperty("result").GetArrayLength());
    }

    [Fact]
    public void Shape_EmptyReply_IsAnEmptyObject()
    {
        var shaped = ToolResponseShaper.Shape(JsonTool, ReadOnlyMemory<byte>.Empty);

        Assert.Equal(JsonValueKind.Object, shaped.Structured.ValueKind);
        Assert.Equal("{}", shaped.Text);
    }

    [Fact]
    public void Shape_ReplyNotJson_IsAProviderError()
    {
        var ex = Assert.Throws<McpFunctionsException>(() => ToolResponseShaper.Shape(JsonTool, Bytes("<html>oops</html>")));

        Assert.Equal(ErrorCode.ProviderError, ex.Code);
    }

    [Fact]
    public void Shape_HugeReply_TextIsCappedWithANoteAndStructuredIsWhole()
    {
        var big = new string('x', 150_000);

        var shaped = ToolResponseShaper.Shape(JsonTool, Bytes($$"""{"content":"{{big}}"}"""));

        Assert.Equal(ToolResponseShaper.MaxTextLength + 1 + ToolResponseShaper.TruncationNote.Length, shaped.Text.Length);
        Assert.EndsWith("…(truncated; see structuredContent)", shaped.Text, StringComparison.Ordinal);
        Assert.Equal(big, shaped.Structured.GetProperty("content").GetString());
    }

    [Fact]
    public void Shape_ReplyJustUnderTheCap_IsNotTruncated()
    {
        var shaped = ToolResponseShaper.Shape(JsonTool, Bytes($$"""{"c":"{{new string('x', 1000)}}"}"""));

        Assert.DoesNotContain("truncated", shaped.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Shape_NotionBlocks_RendersEachBlockType()
    {
        var reply = $$"""
            {"object":"list","has_more":false,"next_cursor":null,"results":[
              {{Block("heading_1", """{"rich_text":[{"plain_text":"Plan"}]}""")}},
              {{Block("heading_2", """{"rich_text":[{"plain_text":"Goals"}]}""")}},
              {{Block("heading_3", """{"rich_text":[{"plain_text":"Small"}]}""")}},
              {{Block("paragraph", """{"rich_text":[{"plain_text":"Hello "},{"plain_text":"world","annotations":{"bold":true}}]}""")}},
              {{Block("bulleted_list_item", """{"rich_text":[{"plain_text":"apples"}]}""")}},
              {{Block("numbered_list_item", """{"rich_text":[{"plain_text":"first"}]}""")}},
              {{Block("numbered_list_item", """{"rich_text":[{"plain_text":"second"}]}""")}},
              {{Block("to_do", """{"rich_text":[{"plain_text":"ship"}],"checked":true}""")}},
              {{Block("to_do", """{"rich_text":[{"plain_text":"test"}],"checked":false}""")}},
              {{Block("quote", """{"rich_text":[{"plain_text":"To be"}]}""")}},
              {{Block("code", """{"rich_text":[{"plain_text":"let x = 1;"}],"language":"javascript"}""")}},
              {{Block("callout", """{"rich_text":[{"plain_text":"Careful"}],"icon":{"type":"emoji","emoji":"💡"}}""")}},
              {{Block("toggle", """{"rich_text":[{"plain_text":"More"}]}""", hasChildren: true)}},
              {{Block("divider", "{}")}},
              {{Block("child_page", """{"title":"Sub page"}""")}},
              {{Block("child_database", """{"title":"Tasks"}""")}},
              {{Block("bookmark", """{"url":"https://example.com","caption":[]}""")}},
              {{Block("image", """{"type":"external","external":{"url":"https://x/i.png"},"caption":[{"plain_text":"A chart"}]}""")}},
              {{Block("file", """{"type":"file","name":"report.pdf","caption":[]}""")}},
              {{Block("numbered_list_item", """{"rich_text":[{"plain_text":"again"}]}""")}},
              {{Block("synced_block", """{"synced_from":null}""")}}
            ]}
            """;

        var shaped = ToolResponseShaper.Shape(BlocksTool, Bytes(reply));

        Assert.Equal(
            """
            # Plan
            ## Goals
            ### Small
            Hello world
            - apples
            1. first
            2. second
            [x] ship
            [ ] test
            > To be
            ```javascript
            let x = 1;
            ```
            > 💡 Careful
            ▸ More (nested content not shown: block b12)
            ---
            [page] Sub page (b14)
            [database] Tasks (b15)
            [bookmark] https://example.com
            [image] A chart
            [file] report.pdf
            1. again
            [synced_block]
            """.ReplaceLineEndings("\n"),
            shaped.Text);
    }

    [Fact]
    public void Shape_NotionBlocks_StructuredHoldsAllBlocksAndTheirCount()
    {
        var reply = $$"""{"object":"list","results":[{{Block("paragraph", "{}")}},{{Block("divider", "{}")}}],"has_more":false,"next_cursor":null}""";

        var shaped = ToolResponseShaper.Shape(BlocksTool, Bytes(reply));

        Assert.Equal(2, shaped.Structured.GetProperty("block_count").GetInt32());
        Assert.Equal(2, shaped.Structured.GetProperty("results").GetArrayLength());
        Assert.Equal("b1", shaped.Structured.GetProperty("results")[1].GetProperty("id").GetString());
    }

    [Fact]
    public void Shape_NotionBlocksWithMoreLeft_SaysSoInTextAndStructured()
    {
        var reply = $$"""{"object":"list","results":[{{Block("paragraph", """{"rich_text":[{"plain_text":"a"}]}""")}}],"has_more":true,"next_cursor":"c9"}""";

        var shaped = ToolResponseShaper.Shape(BlocksTool, Bytes(reply));

        Assert.Equal("a\n…(more blocks exist; only the first 1 were read)", shaped.Text);
        Assert.True(shaped.Structured.GetProperty("has_more").GetBoolean());
        Assert.Equal("c9", shaped.Structured.GetProperty("next_cursor").GetString());
    }

    [Fact]
    public void Shape_NotionBlocksUnknownOrMissingType_IsNamedInBrackets()
    {
        var shaped = ToolResponseShaper.Shape(BlocksTool, Bytes("""{"results":[{"id":"x","type":"meeting_notes","meeting_notes":{}},{"id":"y"}]}"""));

        Assert.Equal("[meeting_notes]\n[unknown]", shaped.Text);
    }

    [Fact]
    public void Shape_NotionBlocksHugeText_IsCapped()
    {
        var paragraph = Block("paragraph", $$"""{"rich_text":[{"plain_text":"{{new string('w', 2000)}}"}]}""");
        var reply = $$"""{"results":[{{string.Join(',', Enumerable.Repeat(paragraph, 80))}}]}""";

        var shaped = ToolResponseShaper.Shape(BlocksTool, Bytes(reply));

        Assert.EndsWith(ToolResponseShaper.TruncationNote, shaped.Text, StringComparison.Ordinal);
        Assert.True(shaped.Text.Length <= ToolResponseShaper.MaxTextLength + 1 + ToolResponseShaper.TruncationNote.Length);
        Assert.Equal(80, shaped.Structured.GetProperty("block_count").GetInt32());
    }

    private int blockNumber;

    private string Block(string type, string content, bool hasChildren = false)
    {
        var id = $"b{blockNumber++}";
        return $$"""{"object":"block","id":"{{id}}","type":"{{type}}","has_children":{{(hasChildren ? "true" : "false")}},"{{type}}":{{content}}}""";
    }

    private static string TextBlock(string type, string text, string extra = "\"has_children\":false") =>
        $$"""{"object":"block","id":"b-{{text}}","type":"{{type}}","{{type}}":{"rich_text":[{"plain_text":"{{text}}"}]},{{extra}}}""";
}
