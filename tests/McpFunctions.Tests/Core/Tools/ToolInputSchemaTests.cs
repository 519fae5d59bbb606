using System.Text.Json;
using McpFunctions.Core.Tools;
using static McpFunctions.Tests.Core.Tools.ToolFixtures;

namespace McpFunctions.Tests.Core.Tools;

/// <summary>Tool arguments checked by JsonSchema.Net (JSON Schema 2020-12): what a model is told, and that the
/// keywords our own subset validator never knew are enforced now.</summary>
public sealed class ToolInputSchemaTests
{
    private const string Uuid = "59833787-2cf9-4fdf-8782-e53db20768a5";

    private static readonly ToolInputSchema Search = Compile("""
        {
          "type": "object",
          "properties": {
            "query": { "type": "string", "description": "Text.", "maxLength": 20 },
            "filter": {
              "type": "object",
              "properties": {
                "property": { "type": "string", "enum": ["object"] },
                "value": { "type": "string", "enum": ["page", "database"] }
              },
              "required": ["property", "value"],
              "additionalProperties": false
            },
            "page_size": { "type": "integer", "minimum": 1, "maximum": 100, "default": 100 },
            "page_id": { "type": "string", "pattern": "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$" },
            "children": { "type": "array", "maxItems": 2, "items": { "type": "object", "required": ["type"] } }
          },
          "additionalProperties": false
        }
        """);

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"query":"plan","filter":{"property":"object","value":"page"},"page_size":100}""")]
    [InlineData("""{"page_size":100.0}""")] // an integer written with a fraction is still an integer
    [InlineData("""{"page_id":"59833787-2cf9-4fdf-8782-e53db20768a5"}""")]
    [InlineData("""{"children":[{"type":"paragraph"}]}""")]
    public void Validate_ValidArguments_ReturnsNull(string arguments)
    {
        Assert.Null(Search.Validate(JsonOf(arguments)));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"page\"")]
    [InlineData("null")]
    [InlineData("42")]
    public void Validate_ArgumentsNotAnObject_Fails(string arguments)
    {
        Assert.Equal("arguments must be a JSON object", Search.Validate(JsonOf(arguments))?.Message);
    }

    [Theory]
    [InlineData("""{"page_size":101}""", "page_size")]
    [InlineData("""{"page_size":0}""", "page_size")]
    [InlineData("""{"page_size":1.5}""", "page_size")]
    [InlineData("""{"page_size":"10"}""", "page_size")]
    [InlineData("""{"query":"abcdefghijklmnopqrstuvwxyz"}""", "query")]
    [InlineData("""{"filter":"page"}""", "filter")]
    [InlineData("""{"filter":{"property":"object","value":"block"}}""", "filter.value")]
    [InlineData("""{"filter":{"property":"object"}}""", "filter")] // a missing property is named in the message
    [InlineData("""{"filter":{"property":"object","value":"page","extra":true}}""", "filter.extra")]
    [InlineData("""{"foo":1}""", "foo")]
    [InlineData("""{"children":[{"type":"a"},"text"]}""", "children[1]")]
    [InlineData("""{"children":[{"type":"a"},{}]}""", "children[1]")]
    [InlineData("""{"children":[{"type":"a"},{"type":"b"},{"type":"c"}]}""", "children")]
    [InlineData("""{"page_id":"../../etc/passwd"}""", "page_id")]
    public void Validate_Invalid_NamesTheFailingField(string arguments, string field)
    {
        var failure = Search.Validate(JsonOf(arguments));

        Assert.NotNull(failure);
        Assert.Equal(field, failure.Field);
        Assert.StartsWith(field + ": ", failure.Message, StringComparison.Ordinal);
        Assert.NotEmpty(failure.SchemaPath);
    }

    [Fact]
    public void Validate_MissingProperty_SaysWhichOne()
    {
        var failure = Search.Validate(JsonOf("""{"filter":{"property":"object"}}"""));

        Assert.Contains("value", failure?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PatternEndAnchor_DoesNotAllowATrailingNewline()
    {
        Assert.NotNull(Search.Validate(JsonOf($$"""{"page_id":"{{Uuid}}\n"}""")));
    }

    [Fact]
    public void Validate_HugeUnknownFieldName_IsShortenedInTheMessage()
    {
        var failure = Search.Validate(JsonOf($$"""{"{{new string('x', 10_000)}}":1}"""));

        Assert.NotNull(failure);
        Assert.True(failure.Message.Length < 400, failure.Message.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Validate_FieldNameWithControlCharacters_IsShownWithout()
    {
        var failure = Search.Validate(JsonOf("""{"a\nb\u0000":1}"""));

        Assert.Equal("a?b?", failure?.Field);
    }

    [Fact]
    public void Validate_KeywordsBeyondOurOldSubset_AreEnforced()
    {
        // oneOf, $defs/$ref, dependentRequired, format-free string rules: what remote MCP servers' schemas use.
        var schema = Compile("""
            {
              "type": "object",
              "$defs": { "id": { "type": "string", "minLength": 3 } },
              "properties": {
                "target": { "oneOf": [ { "$ref": "#/$defs/id" }, { "type": "integer" } ] },
                "start": { "type": "string" }, "end": { "type": "string" }
              },
              "dependentRequired": { "start": ["end"] }
            }
            """);

        Assert.Null(schema.Validate(JsonOf("""{"target":"abc"}""")));
        Assert.Null(schema.Validate(JsonOf("""{"target":7}""")));
        Assert.Equal("target", schema.Validate(JsonOf("""{"target":"ab"}"""))?.Field);
        Assert.NotNull(schema.Validate(JsonOf("""{"start":"a"}""")));
        Assert.Null(schema.Validate(JsonOf("""{"start":"a","end":"b"}""")));
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"n":{"type":"number","maximum":"100"}}}""")]
    [InlineData("""{"type":"object","properties":{"n":{"type":"strin"}}}""")]
    [InlineData("""{"type":"object","properties":{"n":{"type":"string","pattern":"["}}}""")]
    [InlineData("""{"type":"object","properties":{"n":{"type":"string","minLength":-1}}}""")]
    public void Compile_InvalidSchema_FailsSayingWhy(string schema)
    {
        var error = Assert.Throws<FormatException>(() => ToolInputSchema.Compile(JsonOf(schema)));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    private static ToolInputSchema Compile(string schema) => ToolInputSchema.Compile(JsonOf(schema));
}
