using System.Text;
using System.Text.Json;
using McpFunctions.Core.Providers;

namespace McpFunctions.Tests.Core.Tools;

/// <summary>Small builders shared by the tool tests: JSON from text and tools from request templates.</summary>
internal static class ToolFixtures
{
    public static JsonElement JsonOf(string json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 512 });
        return document.RootElement.Clone();
    }

    public static string Text(ReadOnlyMemory<byte> utf8) => Encoding.UTF8.GetString(utf8.Span);

    public static ReadOnlyMemory<byte> Bytes(string json) => Encoding.UTF8.GetBytes(json);

    public static ToolDescriptor Tool(ToolRequest request, string? output = null, string schema = """{"type":"object"}""") =>
        new("test_tool", null, "A tool under test.", JsonOf(schema), null, request, output);
}
