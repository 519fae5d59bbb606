using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using static McpFunctions.Tests.Core.Tools.ToolFixtures;

namespace McpFunctions.Tests.Core.Tools;

public sealed class ToolRequestRendererTests
{
    private const string Uuid = "59833787-2cf9-4fdf-8782-e53db20768a5";

    private static readonly ToolDescriptor ReadPage = Tool(new ToolRequest("GET", "/v1/pages/{page_id}"));

    private static readonly ToolDescriptor CreatePage = Tool(new ToolRequest("POST", "/v1/pages", Body: JsonOf("""
        {
          "parent": { "page_id": "{parent_page_id}", "database_id": "{parent_database_id}" },
          "properties": "{properties}",
          "children": "{children}",
          "icon": "{icon}"
        }
        """)));

    private static readonly ToolDescriptor ListComments = Tool(new ToolRequest("GET", "/v1/comments", new Dictionary<string, string>
    {
        ["block_id"] = "{block_id}",
        ["start_cursor"] = "{start_cursor}",
        ["page_size"] = "{page_size}",
    }));

    [Fact]
    public void Render_PathPlaceholder_BecomesTheArgument()
    {
        var call = ToolRequestRenderer.Render(ReadPage, JsonOf($$"""{"page_id":"{{Uuid}}"}"""));

        Assert.Equal("GET", call.Method);
        Assert.Equal($"/v1/pages/{Uuid}", call.PathAndQuery);
        Assert.True(call.JsonBody.IsEmpty);
    }

    [Theory]
    [InlineData("a b", "a%20b")]
    [InlineData("é页", "%C3%A9%E9%A1%B5")]
    [InlineData("100%", "100%25")]
    [InlineData("%2e%2e", "%252e%252e")]
    [InlineData("a?b=c", "a%3Fb%3Dc")]
    [InlineData("a#frag", "a%23frag")]
    [InlineData("a:b", "a%3Ab")]
    [InlineData("a.b", "a.b")]
    public void Render_PathSegment_IsPercentEncodedAsOneSegment(string value, string expected)
    {
        var call = ToolRequestRenderer.Render(ReadPage, JsonOf($$"""{"page_id":"{{value}}"}"""));

        Assert.Equal($"/v1/pages/{expected}", call.PathAndQuery);
    }

    [Fact]
    public void Render_NumberInPath_IsItsJsonText()
    {
        Assert.Equal("/v1/pages/42", ToolRequestRenderer.Render(ReadPage, JsonOf("""{"page_id":42}""")).PathAndQuery);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("../../etc")]
    [InlineData("a..b")]
    [InlineData("a/b")]
    [InlineData("a\\\\b")]
    [InlineData("https://evil.example")]
    [InlineData("HTTP://evil.example/x")]
    [InlineData("//evil.example")]
    [InlineData("")]
    [InlineData("a\\nb")]
    [InlineData("a\\u0000")]
    [InlineData("a\\u007f")]
    public void Render_UnsafePathSegment_IsRefusedNamingTheArgument(string jsonEscapedValue)
    {
        var ex = Assert.Throws<McpFunctionsException>(() => ToolRequestRenderer.Render(ReadPage, JsonOf($$"""{"page_id":"{{jsonEscapedValue}}"}""")));

        Assert.Equal(ErrorCode.ValidationError, ex.Code);
        Assert.StartsWith("page_id: ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", "page_id: is required")]
    [InlineData("""{"page_id":null}""", "page_id: is required")]
    [InlineData("""{"page_id":{"id":"x"}}""", "page_id: must be a string")]
    [InlineData("""{"page_id":true}""", "page_id: must be a string")]
    public void Render_PathArgumentMissingOrNotScalar_IsRefused(string arguments, string expected)
    {
        var ex = Assert.Throws<McpFunctionsException>(() => ToolRequestRenderer.Render(ReadPage, JsonOf(arguments)));

        Assert.Equal(ErrorCode.ValidationError, ex.Code);
        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public void Render_ArgumentsNotAnObject_IsRefused()
    {
        var ex = Assert.Throws<McpFunctionsException>(() => ToolRequestRenderer.Render(ReadPage, JsonOf("[]")));

        Assert.Equal(ErrorCode.ValidationError, ex.Code);
    }

    [Fact]
    public void Render_QueryPlaceholders_AbsentOnesAreDropped()
    {
        var call = ToolRequestRenderer.Render(ListComments, JsonOf($$"""{"block_id":"{{Uuid}}"}"""));

        Assert.Equal($"/v1/comments?block_id={Uuid}", call.PathAndQuery);
    }

    [Fact]
    public void Render_QueryNumbersAndBooleans_AreTheirJsonText()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", new Dictionary<string, string> { ["page_size"] = "{page_size}", ["archived"] = "{archived}" }));

        var call = ToolRequestRenderer.Render(tool, JsonOf("""{"page_size":50,"archived":false}"""));

        Assert.Equal("/v1/x?page_size=50&archived=false", call.PathAndQuery);
    }

    [Fact]
    public void Render_QueryNull_IsDropped()
    {
        var call = ToolRequestRenderer.Render(ListComments, JsonOf($$"""{"block_id":"b","start_cursor":null}"""));

        Assert.Equal("/v1/comments?block_id=b", call.PathAndQuery);
    }

    [Fact]
    public void Render_QueryValues_ArePercentEncoded()
    {
        var call = ToolRequestRenderer.Render(ListComments, JsonOf("""{"block_id":"a b&c=d#e/f?é","start_cursor":"x+y"}"""));

        Assert.Equal("/v1/comments?block_id=a%20b%26c%3Dd%23e%2Ff%3F%C3%A9&start_cursor=x%2By", call.PathAndQuery);
    }

    [Fact]
    public void Render_QueryArray_RepeatsTheParameter()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x", new Dictionary<string, string> { ["id"] = "{ids}" }));

        var call = ToolRequestRenderer.Render(tool, JsonOf("""{"ids":["a","b c",3]}"""));

        Assert.Equal("/v1/x?id=a&id=b%20c&id=3", call.PathAndQuery);
    }

    [Fact]
    public void Render_QueryObject_IsRefused()
    {
        var ex = Assert.Throws<McpFunctionsException>(() => ToolRequestRenderer.Render(ListComments, JsonOf("""{"block_id":{"a":1}}""")));

        Assert.Equal(ErrorCode.ValidationError, ex.Code);
        Assert.StartsWith("block_id: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_QueryLiteral_IsKeptAndEncoded()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/blocks/{id}/children", new Dictionary<string, string> { ["page_size"] = "100", ["q"] = "a b" }));

        var call = ToolRequestRenderer.Render(tool, JsonOf("""{"id":"x"}"""));

        Assert.Equal("/v1/blocks/x/children?page_size=100&q=a%20b", call.PathAndQuery);
    }

    [Fact]
    public void Render_PathTemplateWithQuery_AppendsWithAmpersand()
    {
        var tool = Tool(new ToolRequest("GET", "/v1/x?fixed=1", new Dictionary<string, string> { ["q"] = "{q}" }));

        Assert.Equal("/v1/x?fixed=1&q=2", ToolRequestRenderer.Render(tool, JsonOf("""{"q":"2"}""")).PathAndQuery);
    }

    [Fact]
    public void Render_BodyWithEveryArgument_CopiesJsonValues()
    {
        var call = ToolRequestRenderer.Render(CreatePage, JsonOf("""
            {"parent_page_id":"p1","properties":{"title":[{"text":{"content":"Hi \"there\" é"}}]},"children":[{"type":"divider","divider":{}}],"icon":null}
            """));

        Assert.Equal(
            """{"parent":{"page_id":"p1"},"properties":{"title":[{"text":{"content":"Hi \"there\" é"}}]},"children":[{"type":"divider","divider":{}}],"icon":null}""",
            Text(call.JsonBody));
    }

    [Fact]
    public void Render_BodyAbsentArguments_DropsPropertiesAndEmptiedObjects()
    {
        var call = ToolRequestRenderer.Render(CreatePage, JsonOf("""{"properties":{}}"""));

        Assert.Equal("""{"properties":{}}""", Text(call.JsonBody));
    }

    [Fact]
    public void Render_BodyNestedPlaceholders_KeepsThePresentOne()
    {
        var call = ToolRequestRenderer.Render(CreatePage, JsonOf("""{"parent_database_id":"d1","properties":{}}"""));

        Assert.Equal("""{"parent":{"database_id":"d1"},"properties":{}}""", Text(call.JsonBody));
    }

    [Fact]
    public void Render_BodyObjectWithLiteralAndAbsentPlaceholder_KeepsTheLiteral()
    {
        var tool = Tool(new ToolRequest("POST", "/v1/databases", Body: JsonOf("""{"parent":{"type":"page_id","page_id":"{parent_page_id}"}}""")));

        Assert.Equal("""{"parent":{"type":"page_id"}}""", Text(ToolRequestRenderer.Render(tool, JsonOf("{}")).JsonBody));
    }

    [Fact]
    public void Render_BodyLiteralEmptyContainers_AreKept()
    {
        var tool = Tool(new ToolRequest("POST", "/v1/x", Body: JsonOf("""{"divider":{},"tags":[],"x":"{x}"}""")));

        Assert.Equal("""{"divider":{},"tags":[]}""", Text(ToolRequestRenderer.Render(tool, JsonOf("{}")).JsonBody));
    }

    [Fact]
    public void Render_BodyArrayPlaceholders_DropAbsentElementsAndEmptiedArrays()
    {
        var tool = Tool(new ToolRequest("POST", "/v1/x", Body: JsonOf("""{"a":["{x}","{y}",1],"b":["{y}"]}""")));

        Assert.Equal("""{"a":["X",1]}""", Text(ToolRequestRenderer.Render(tool, JsonOf("""{"x":"X"}""")).JsonBody));
    }

    [Fact]
    public void Render_LiteralOnlyBody_IsSentAsIs()
    {
        var archive = Tool(new ToolRequest("PATCH", "/v1/pages/{page_id}", Body: JsonOf("""{"archived":true}""")));

        var call = ToolRequestRenderer.Render(archive, JsonOf($$"""{"page_id":"{{Uuid}}"}"""));

        Assert.Equal("PATCH", call.Method);
        Assert.Equal("""{"archived":true}""", Text(call.JsonBody));
    }

    [Fact]
    public void Render_BodyAllArgumentsAbsent_SendsAnEmptyObject()
    {
        var search = Tool(new ToolRequest("POST", "/v1/search", Body: JsonOf("""{"query":"{query}","page_size":"{page_size}"}""")));

        Assert.Equal("{}", Text(ToolRequestRenderer.Render(search, JsonOf("{}")).JsonBody));
    }

    [Fact]
    public void Render_BodyStringThatOnlyContainsAPlaceholder_IsALiteral()
    {
        var tool = Tool(new ToolRequest("POST", "/v1/x", Body: JsonOf("""{"note":"Hello {name}","brace":"{not valid}"}""")));

        Assert.Equal("""{"note":"Hello {name}","brace":"{not valid}"}""", Text(ToolRequestRenderer.Render(tool, JsonOf("""{"name":"x"}""")).JsonBody));
    }

    [Fact]
    public void Render_NullBody_HasNoBody()
    {
        var tool = Tool(new ToolRequest("DELETE", "/v1/blocks/{block_id}", Body: JsonOf("null")));

        Assert.True(ToolRequestRenderer.Render(tool, JsonOf("""{"block_id":"b"}""")).JsonBody.IsEmpty);
    }

    [Fact]
    public void Render_AccountArgument_IsNeverSent()
    {
        var search = Tool(new ToolRequest("POST", "/v1/search/{id}", new Dictionary<string, string> { ["q"] = "{q}" }, JsonOf("""{"query":"{query}"}""")));

        var call = ToolRequestRenderer.Render(search, JsonOf("""{"id":"i","q":"x","query":"y","account":"work"}"""));

        Assert.DoesNotContain("work", call.PathAndQuery, StringComparison.Ordinal);
        Assert.DoesNotContain("account", Text(call.JsonBody), StringComparison.Ordinal);
        Assert.Equal("""{"query":"y"}""", Text(call.JsonBody));
    }
}
