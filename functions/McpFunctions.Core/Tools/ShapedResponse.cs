using System.Text.Json;

namespace McpFunctions.Core.Tools;

/// <summary>A successful tool result: the JSON object for <c>structuredContent</c> and the text for <c>content</c>.</summary>
public sealed record ShapedResponse(JsonElement Structured, string Text);
