using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;

namespace McpFunctions.Core.Tools;

/// <summary>Turns a provider's successful reply into a tool result, as the tool's <c>output</c> names.</summary>
public static class ToolResponseShaper
{
    /// <summary>The longest text a result carries; the whole reply is still in <c>structuredContent</c>.</summary>
    public const int MaxTextLength = 100_000;

    public const string TruncationNote = "…(truncated; see structuredContent)";

    private const int MaxReplyDepth = 256;

    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = MaxReplyDepth };

    private static readonly JsonWriterOptions IndentedOptions = WriterOptions with { Indented = true };

    /// <exception cref="McpFunctionsException"><see cref="ErrorCode.ProviderError"/> when a non-empty reply is not JSON.</exception>
    public static ShapedResponse Shape(ToolDescriptor tool, ReadOnlyMemory<byte> reply)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var root = Parse(reply);
        return tool.Output switch
        {
            null or "json" => ShapeJson(root),
            "notion_blocks_text" => NotionBlocksText.Shape(root, tool.Request),
            _ => throw new McpFunctionsException(ErrorCode.InternalError, $"Tool '{tool.Name}' names an unknown output '{tool.Output}'."),
        };
    }

    /// <summary>The JSON Schema of <paramref name="tool"/>'s <c>structuredContent</c> where its output kind fixes one; null
    /// for plain JSON outputs, whose shape is the provider's.</summary>
    public static JsonElement? OutputSchemaOf(ToolDescriptor tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return tool.Output == "notion_blocks_text" ? NotionBlocksText.OutputSchema : null;
    }

    private static ShapedResponse ShapeJson(JsonElement root)
    {
        // structuredContent must be an object: anything else is wrapped as {"result": ...}.
        var structured = root.ValueKind == JsonValueKind.Object
            ? root
            : Build(writer =>
            {
                writer.WriteStartObject();
                writer.WritePropertyName("result");
                root.WriteTo(writer);
                writer.WriteEndObject();
            });
        var indented = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(indented, IndentedOptions))
        {
            root.WriteTo(writer);
        }

        return new ShapedResponse(structured, Cap(Encoding.UTF8.GetString(indented.WrittenSpan)));
    }

    internal static string Cap(string text)
    {
        if (text.Length <= MaxTextLength)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[MaxTextLength - 1]) ? MaxTextLength - 1 : MaxTextLength;
        return string.Concat(text.AsSpan(0, cut), "\n", TruncationNote);
    }

    /// <summary>Writes a JSON value and returns it as an element that owns its memory.</summary>
    internal static JsonElement Build(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = MaxReplyDepth });
        return document.RootElement.Clone();
    }

    private static JsonElement Parse(ReadOnlyMemory<byte> reply)
    {
        if (reply.IsEmpty)
        {
            return Build(writer =>
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            });
        }

        try
        {
            using var document = JsonDocument.Parse(reply, new JsonDocumentOptions { MaxDepth = MaxReplyDepth });
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new McpFunctionsException(ErrorCode.ProviderError, "The provider answered with something that is not JSON.", ex);
        }
    }
}
