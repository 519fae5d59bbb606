using System.Text;
using System.Text.Json;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Tools;
using static McpFunctions.Tests.Core.Tools.ToolFixtures;

namespace McpFunctions.Tests.Core.Tools;

public sealed class ArgumentValidatorTests
{
    private const string Uuid = "59833787-2cf9-4fdf-8782-e53db20768a5";

    private const string UuidPattern = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$";

    private static readonly JsonElement SearchSchema = Json("""
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
            "page_size": { "type": "integer", "minimum": 1, "maximum": 100, "default": 100 }
          },
          "additionalProperties": false
        }
        """);

    [Fact]
    public void Validate_ValidArguments_ReturnsNull()
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json("""{"query":"plan","filter":{"property":"object","value":"page"},"page_size":100}"""));

        Assert.Null(failure);
    }

    [Fact]
    public void Validate_EmptyObjectWithNoRequired_ReturnsNull()
    {
        Assert.Null(ArgumentValidator.Validate(SearchSchema, Json("{}")));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"page\"")]
    [InlineData("null")]
    [InlineData("42")]
    public void Validate_ArgumentsNotAnObject_Fails(string arguments)
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json(arguments));

        Assert.Equal("arguments must be a JSON object", failure?.Message);
    }

    [Fact]
    public void Validate_ObjectGivenAString_NamesFieldAndBothKinds()
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json("""{"filter":"page"}"""));

        Assert.NotNull(failure);
        Assert.Equal("filter: must be an object, not a string", failure.Message);
        Assert.Equal("filter", failure.Field);
        Assert.Equal("properties.filter.type", failure.SchemaPath);
    }

    [Fact]
    public void Validate_AboveMaximum_SaysTheLimit()
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json("""{"page_size":101}"""));

        Assert.Equal("page_size: must be at most 100", failure?.Message);
        Assert.Equal("properties.page_size.maximum", failure?.SchemaPath);
    }

    [Fact]
    public void Validate_BelowMinimum_SaysTheLimit()
    {
        Assert.Equal("page_size: must be at least 1", ArgumentValidator.Validate(SearchSchema, Json("""{"page_size":0}"""))?.Message);
    }

    [Theory]
    [InlineData("0.5", "x: must be greater than 0.5")]
    [InlineData("2", "x: must be less than 2")]
    [InlineData("2.5", "x: must be less than 2")]
    public void Validate_ExclusiveBounds_AreExclusive(string value, string expected)
    {
        var schema = Json("""{"type":"object","properties":{"x":{"type":"number","exclusiveMinimum":0.5,"exclusiveMaximum":2}}}""");

        Assert.Equal(expected, ArgumentValidator.Validate(schema, Json($$"""{"x":{{value}}}"""))?.Message);
        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"x":1.9999}""")));
    }

    [Fact]
    public void Validate_IntegerWithFraction_Fails()
    {
        Assert.Equal("page_size: must be an integer, not 1.5", ArgumentValidator.Validate(SearchSchema, Json("""{"page_size":1.5}"""))?.Message);
    }

    [Theory]
    [InlineData("10.0")]
    [InlineData("1e1")]
    public void Validate_IntegerWrittenWithFractionOrExponent_Passes(string value)
    {
        Assert.Null(ArgumentValidator.Validate(SearchSchema, Json($$"""{"page_size":{{value}}}""")));
    }

    [Fact]
    public void Validate_IntegerGivenAString_Fails()
    {
        Assert.Equal("page_size: must be an integer, not a string", ArgumentValidator.Validate(SearchSchema, Json("""{"page_size":"10"}"""))?.Message);
    }

    [Fact]
    public void Validate_TypeArray_AcceptsEachTypeAndNamesAllOnFailure()
    {
        var schema = Json("""{"type":"object","properties":{"date":{"type":["string","null"]}}}""");

        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"date":"2025-07-01"}""")));
        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"date":null}""")));
        Assert.Equal("date: must be a string or null, not a boolean", ArgumentValidator.Validate(schema, Json("""{"date":true}"""))?.Message);
    }

    [Fact]
    public void Validate_BooleanType_RejectsOtherKinds()
    {
        var schema = Json("""{"type":"object","properties":{"is_inline":{"type":"boolean"}}}""");

        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"is_inline":false}""")));
        Assert.Equal("is_inline: must be a boolean, not a string", ArgumentValidator.Validate(schema, Json("""{"is_inline":"false"}"""))?.Message);
    }

    [Fact]
    public void Validate_NestedRequiredMissing_NamesTheDottedPath()
    {
        var schema = Json("""
            {"type":"object","properties":{"parent":{"type":"object","properties":{"page_id":{"type":"string"}},"required":["page_id"]}}}
            """);

        var failure = ArgumentValidator.Validate(schema, Json("""{"parent":{}}"""));

        Assert.Equal("parent.page_id: is required", failure?.Message);
        Assert.Equal("parent.page_id", failure?.Field);
        Assert.Equal("properties.parent.required", failure?.SchemaPath);
    }

    [Fact]
    public void Validate_TopLevelRequiredMissing_NamesTheField()
    {
        var schema = Json("""{"type":"object","properties":{"page_id":{"type":"string"}},"required":["page_id"]}""");

        Assert.Equal("page_id: is required", ArgumentValidator.Validate(schema, Json("{}"))?.Message);
    }

    [Fact]
    public void Validate_UnknownTopLevelField_IsRefused()
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json("""{"query":"a","foo":1}"""));

        Assert.Equal("unknown field 'foo'", failure?.Message);
        Assert.Equal("foo", failure?.Field);
        Assert.Equal("additionalProperties", failure?.SchemaPath);
    }

    [Fact]
    public void Validate_UnknownNestedField_NamesTheParent()
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json("""{"filter":{"property":"object","value":"page","extra":true}}"""));

        Assert.Equal("filter: unknown field 'extra'", failure?.Message);
    }

    [Fact]
    public void Validate_UnknownFieldWithoutAdditionalProperties_IsAllowed()
    {
        Assert.Null(ArgumentValidator.Validate(Json("""{"type":"object","properties":{}}"""), Json("""{"anything":1}""")));
    }

    [Fact]
    public void Validate_AdditionalPropertiesSchema_ChecksEachExtraValue()
    {
        var schema = Json("""{"type":"object","additionalProperties":{"type":"string"}}""");

        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"a":"x","b":"y"}""")));
        Assert.Equal("b: must be a string, not a number", ArgumentValidator.Validate(schema, Json("""{"a":"x","b":2}"""))?.Message);
    }

    [Fact]
    public void Validate_UnknownFieldNameHuge_IsShortenedInTheMessage()
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json($$"""{"{{new string('x', 1000)}}":1}"""));

        Assert.NotNull(failure);
        Assert.True(failure.Message.Length < 100, failure.Message);
    }

    [Fact]
    public void Validate_UnknownFieldNameWithControlCharacters_IsShownWithout()
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json("""{"a\nb\u0000":1}"""));

        Assert.Equal("unknown field 'a?b?'", failure?.Message);
    }

    [Fact]
    public void Validate_DuplicateField_IsRefused()
    {
        var schema = Json("""{"type":"object","properties":{"page_id":{"type":"string","maxLength":4}}}""");

        var failure = ArgumentValidator.Validate(schema, Json("""{"page_id":"abcd","page_id":"abcd"}"""));

        Assert.Equal("field 'page_id' appears more than once", failure?.Message);
    }

    [Fact]
    public void Validate_NotInEnum_ListsTheChoices()
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json("""{"filter":{"property":"object","value":"block"}}"""));

        Assert.Equal("filter.value: must be one of \"page\", \"database\"", failure?.Message);
    }

    [Fact]
    public void Validate_EnumOfNumbers_ComparesByValue()
    {
        var schema = Json("""{"type":"object","properties":{"n":{"enum":[1,2]}}}""");

        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"n":2.0}""")));
        Assert.Equal("n: must be one of 1, 2", ArgumentValidator.Validate(schema, Json("""{"n":3}"""))?.Message);
    }

    [Fact]
    public void Validate_Const_RequiresThatExactValue()
    {
        var schema = Json("""{"type":"object","properties":{"archived":{"const":true},"o":{"const":{"a":[1]}}}}""");

        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"archived":true,"o":{"a":[1]}}""")));
        Assert.Equal("archived: must be true", ArgumentValidator.Validate(schema, Json("""{"archived":false}"""))?.Message);
        Assert.Equal("o: must be {\"a\":[1]}", ArgumentValidator.Validate(schema, Json("""{"o":{"a":[2]}}"""))?.Message);
    }

    [Fact]
    public void Validate_TooLong_SaysTheLimitAndLength()
    {
        var failure = ArgumentValidator.Validate(SearchSchema, Json("""{"query":"abcdefghijklmnopqrstuvwxyz"}"""));

        Assert.Equal("query: must be at most 20 characters long (got 26)", failure?.Message);
    }

    [Fact]
    public void Validate_TooShort_SaysTheLimit()
    {
        var schema = Json("""{"type":"object","properties":{"id":{"type":"string","minLength":32},"cursor":{"type":"string","minLength":1}}}""");

        Assert.Equal("id: must be at least 32 characters long (got 3)", ArgumentValidator.Validate(schema, Json("""{"id":"abc"}"""))?.Message);
        Assert.Equal("cursor: must not be empty", ArgumentValidator.Validate(schema, Json("""{"cursor":""}"""))?.Message);
    }

    [Fact]
    public void Validate_Length_CountsCodePointsNotUtf16Units()
    {
        var schema = Json("""{"type":"object","properties":{"emoji":{"type":"string","minLength":2,"maxLength":2}}}""");

        // Two emoji: 2 code points, 4 UTF-16 code units.
        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"emoji":"😀📝"}""")));
        Assert.Equal("emoji: must be at least 2 characters long (got 1)", ArgumentValidator.Validate(schema, Json("""{"emoji":"😀"}"""))?.Message);
    }

    [Fact]
    public void Validate_Pattern_AcceptsMatchAndNamesPatternOnMismatch()
    {
        var schema = Json($$$$"""{"type":"object","properties":{"page_id":{"type":"string","pattern":"{{{{UuidPattern}}}}"}}}""");

        Assert.Null(ArgumentValidator.Validate(schema, Json($$"""{"page_id":"{{Uuid}}"}""")));
        Assert.Null(ArgumentValidator.Validate(schema, Json($$"""{"page_id":"{{Uuid.Replace("-", "", StringComparison.Ordinal)}}"}""")));
        Assert.Equal($"page_id: must match the pattern {UuidPattern}", ArgumentValidator.Validate(schema, Json("""{"page_id":"../../etc/passwd"}"""))?.Message);
    }

    [Fact]
    public void Validate_PatternEndAnchor_DoesNotAllowATrailingNewline()
    {
        var schema = Json($$$$"""{"type":"object","properties":{"page_id":{"type":"string","pattern":"{{{{UuidPattern}}}}"}}}""");

        Assert.NotNull(ArgumentValidator.Validate(schema, Json($$"""{"page_id":"{{Uuid}}\n"}""")));
    }

    [Fact]
    public void Validate_Pattern_IsUnanchoredLikeJsonSchema()
    {
        var schema = Json("""{"type":"object","properties":{"s":{"type":"string","pattern":"b+"}}}""");

        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"s":"abba"}""")));
        Assert.NotNull(ArgumentValidator.Validate(schema, Json("""{"s":"aca"}""")));
    }

    [Fact]
    public void Validate_PatternDigitClass_IsAsciiLikeEcmaScript()
    {
        var schema = Json("""{"type":"object","properties":{"s":{"type":"string","pattern":"^\\d+$"}}}""");

        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"s":"123"}""")));
        Assert.NotNull(ArgumentValidator.Validate(schema, Json("""{"s":"١٢٣"}""")));
    }

    [Fact]
    public void Validate_PatternThatBacktracksForever_FailsWithinTheTimeout()
    {
        var schema = Json("""{"type":"object","properties":{"s":{"type":"string","pattern":"^(a+)+$"}}}""");
        var evil = new string('a', 5000) + "!";

        var failure = ArgumentValidator.Validate(schema, Json($$"""{"s":"{{evil}}"}"""));

        Assert.NotNull(failure);
        Assert.StartsWith("s: ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ItemOfWrongType_NamesTheIndex()
    {
        var schema = Json("""{"type":"object","properties":{"children":{"type":"array","items":{"type":"object"}}}}""");

        var failure = ArgumentValidator.Validate(schema, Json("""{"children":[{},"text"]}"""));

        Assert.Equal("children[1]: must be an object, not a string", failure?.Message);
        Assert.Equal("children[1]", failure?.Field);
        Assert.Equal("properties.children.items.type", failure?.SchemaPath);
    }

    [Fact]
    public void Validate_NestedInsideItems_NamesTheFullPath()
    {
        var schema = Json("""
            {"type":"object","properties":{"sorts":{"type":"array","items":{"type":"object","properties":{"direction":{"enum":["ascending","descending"]}}}}}}
            """);

        var failure = ArgumentValidator.Validate(schema, Json("""{"sorts":[{"direction":"ascending"},{"direction":"up"}]}"""));

        Assert.Equal("sorts[1].direction: must be one of \"ascending\", \"descending\"", failure?.Message);
    }

    [Fact]
    public void Validate_ItemCountLimits_AreEnforced()
    {
        var schema = Json("""{"type":"object","properties":{"children":{"type":"array","minItems":1,"maxItems":2}}}""");

        Assert.Equal("children: must have at least 1 item (got 0)", ArgumentValidator.Validate(schema, Json("""{"children":[]}"""))?.Message);
        Assert.Equal("children: must have at most 2 items (got 3)", ArgumentValidator.Validate(schema, Json("""{"children":[1,2,3]}"""))?.Message);
        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"children":[1,2]}""")));
    }

    [Fact]
    public void Validate_FalseSchema_RefusesAnyValue()
    {
        var schema = Json("""{"type":"object","properties":{"legacy":false}}""");

        Assert.Equal("legacy: is not allowed", ArgumentValidator.Validate(schema, Json("""{"legacy":1}"""))?.Message);
    }

    [Fact]
    public void Validate_AnnotationKeywords_AreIgnored()
    {
        var schema = Json("""
            {"$schema":"https://json-schema.org/draft/2020-12/schema","$comment":"c","title":"T","type":"object",
             "properties":{"d":{"type":"string","format":"date","default":"x","examples":["y"],"readOnly":true,"deprecated":true,"description":"d"}}}
            """);

        Assert.Null(ArgumentValidator.Validate(schema, Json("""{"d":"not a date"}""")));
    }

    [Fact]
    public void Validate_DeeperThanTheBound_FailsInsteadOfRecursing()
    {
        const int levels = ArgumentValidator.MaxDepth + 6;
        var schema = new StringBuilder();
        var arguments = new StringBuilder();
        for (var i = 0; i < levels; i++)
        {
            schema.Append("""{"type":"object","properties":{"a":""");
            arguments.Append("""{"a":""");
        }

        schema.Append("""{"type":"string"}""").Append('}', levels * 2);
        arguments.Append("\"leaf\"").Append('}', levels);

        var failure = ArgumentValidator.Validate(Json(schema.ToString()), Json(arguments.ToString()));

        Assert.NotNull(failure);
        Assert.EndsWith($"is nested too deeply (more than {ArgumentValidator.MaxDepth} levels)", failure.Message, StringComparison.Ordinal);
        Assert.StartsWith("a.a.a.", failure.Field, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_JustWithinTheBound_Passes()
    {
        const int levels = ArgumentValidator.MaxDepth - 1;
        var schema = new StringBuilder();
        var arguments = new StringBuilder();
        for (var i = 0; i < levels; i++)
        {
            schema.Append("""{"type":"object","properties":{"a":""");
            arguments.Append("""{"a":""");
        }

        schema.Append("""{"type":"string"}""").Append('}', levels * 2);
        arguments.Append("\"leaf\"").Append('}', levels);

        Assert.Null(ArgumentValidator.Validate(Json(schema.ToString()), Json(arguments.ToString())));
    }

    [Fact]
    public void Validate_MalformedSchema_ThrowsInternalError()
    {
        var schema = Json("""{"type":"object","properties":{"n":{"type":"number","maximum":"100"}}}""");

        var ex = Assert.Throws<McpFunctionsException>(() => ArgumentValidator.Validate(schema, Json("""{"n":1}""")));

        Assert.Equal(ErrorCode.InternalError, ex.Code);
        Assert.Contains("properties.n.maximum", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedKeywords_ListsEachWithItsSchemaPath()
    {
        var schema = Json("""
            {"type":"object","minProperties":1,
             "properties":{
               "filter":{"type":"object","oneOf":[{"required":["a"]},{"required":["b"]}]},
               "tags":{"type":"array","items":{"type":"string","uniqueItems":true}},
               "meta":{"type":"object","additionalProperties":{"$ref":"#/$defs/x"}}}}
            """);

        var unsupported = ArgumentValidator.UnsupportedKeywords(schema);

        Assert.Equal(["minProperties", "properties.filter.oneOf", "properties.tags.items.uniqueItems", "properties.meta.additionalProperties.$ref"], unsupported);
    }

    [Fact]
    public void UnsupportedKeywords_PropertyNamedLikeAKeyword_IsNotAKeyword()
    {
        var schema = Json("""{"type":"object","properties":{"oneOf":{"type":"string"},"title":{"type":"array","items":{"type":"object"}}}}""");

        Assert.Empty(ArgumentValidator.UnsupportedKeywords(schema));
    }

    [Fact]
    public void UnsupportedKeywords_AnnotationsAndSupportedOnly_IsEmpty()
    {
        Assert.Empty(ArgumentValidator.UnsupportedKeywords(SearchSchema));
    }

    [Fact]
    public void InvalidKeywords_MalformedValues_AreEachReported()
    {
        var schema = Json("""
            {"type":"object","properties":{
              "a":{"type":"text"},
              "b":{"type":"string","pattern":"(unclosed"},
              "c":{"type":"string","minLength":-1},
              "d":{"type":"number","maximum":"100"},
              "e":{"enum":[]},
              "f":{"type":"array","items":[{"type":"string"}]}},
             "required":"a"}
            """);

        var paths = ArgumentValidator.InvalidKeywords(schema).Select(p => p.Path);

        Assert.Equal(["properties.a.type", "properties.b.pattern", "properties.c.minLength", "properties.d.maximum", "properties.e.enum", "properties.f.items", "required"], paths);
    }

    [Fact]
    public void InvalidKeywords_WellFormedSchema_IsEmpty()
    {
        Assert.Empty(ArgumentValidator.InvalidKeywords(SearchSchema));
    }
}
