using System.Text;
using McpFunctions.Http.Endpoints;

namespace McpFunctions.Tests.Http.Endpoints;

/// <summary>The one check every JSON body passes before any parser reads it.</summary>
public sealed class RequestBodyTests
{
    [Theory]
    [InlineData("""{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}""")] // one name in different objects is fine
    [InlineData("""{"text":"caf\u00e9 \ud83d\ude00"}""")] // a valid surrogate pair
    [InlineData("[]")]
    [InlineData("\"x\"")]
    public void Inspect_WellFormedText_IsNone(string json)
    {
        Assert.Equal(JsonTextDefect.None, RequestBody.Inspect(Encoding.UTF8.GetBytes(json), RequestBody.MaxDepth));
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""")]
    [InlineData("""{"params":{"name":"x","name":"y"}}""")]
    [InlineData("""[{"k":1,"k":1}]""")]
    [InlineData("""{"a\u0062":1,"ab":2}""")] // the same name, once escaped
    public void Inspect_DuplicateMember_IsRefused(string json)
    {
        Assert.Equal(JsonTextDefect.DuplicateMember, RequestBody.Inspect(Encoding.UTF8.GetBytes(json), RequestBody.MaxDepth));
    }

    [Theory]
    [InlineData("""{"a":"\ud800"}""")]
    [InlineData("""{"a":"\udc00x"}""")]
    [InlineData("""{"\ud800":1}""")]
    public void Inspect_LoneSurrogateEscape_IsInvalidText(string json)
    {
        Assert.Equal(JsonTextDefect.InvalidText, RequestBody.Inspect(Encoding.UTF8.GetBytes(json), RequestBody.MaxDepth));
    }

    [Fact]
    public void Inspect_InvalidUtf8_IsInvalidText()
    {
        byte[] json = [.. "{\"a\":\""u8, 0xC3, 0x28, .. "\"}"u8];

        Assert.Equal(JsonTextDefect.InvalidText, RequestBody.Inspect(json, RequestBody.MaxDepth));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"a\":}")]
    [InlineData("")]
    public void Inspect_NotJson_IsMalformed(string json)
    {
        Assert.Equal(JsonTextDefect.Malformed, RequestBody.Inspect(Encoding.UTF8.GetBytes(json), RequestBody.MaxDepth));
    }

    [Fact]
    public void Inspect_TooDeep_IsMalformed()
    {
        var json = new string('[', RequestBody.MaxDepth + 1) + new string(']', RequestBody.MaxDepth + 1);

        Assert.Equal(JsonTextDefect.Malformed, RequestBody.Inspect(Encoding.UTF8.GetBytes(json), RequestBody.MaxDepth));
    }
}
