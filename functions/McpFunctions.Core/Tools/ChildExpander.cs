using System.Buffers;
using System.Text.Json;
using McpFunctions.Core.Providers;

namespace McpFunctions.Core.Tools;

/// <summary>
/// Fetches the children a tool's <see cref="ChildExpansion"/> asks for into the items of a listing, so that one tool
/// call returns a tree the provider hands out one level per request (Notion: a toggle's contents, columns, nested lists).
/// </summary>
/// <remarks>
/// Breadth first, so that when a bound is reached the shallow content, which a reader needs first, is already there.
/// Bounded three ways: <see cref="ChildExpansion.MaxDepth"/>, <see cref="ChildExpansion.MaxRequests"/>, and the provider's
/// response cap over everything fetched. An item left unexpanded (a bound, a failed request) keeps its flag, so the
/// text shows that content exists and where to read it.
/// </remarks>
public static class ChildExpander
{
    public static async Task<ProviderReply> ExpandAsync(
        ToolDescriptor tool,
        ProviderCall first,
        ProviderReply listing,
        Func<ProviderCall, CancellationToken, Task<ProviderReply>> send,
        int maxBytes,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(listing);
        ArgumentNullException.ThrowIfNull(send);
        if (tool.Request is not { ExpandChildren: { } expand, Paginate: { } paging } || !listing.IsSuccess
            || Paginator.TryParseList(listing.Body, paging.ItemsField) is not { } top)
        {
            return listing;
        }

        var fetched = new Dictionary<string, JsonDocument>(StringComparer.Ordinal);
        try
        {
            // The children are asked with the listing's own query (Notion: page_size=100).
            var query = first.PathAndQuery.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? first.PathAndQuery[q..] : "";
            var requests = 0;
            var collected = (long)listing.Body.Length;
            var pending = new Queue<(JsonElement Item, int Depth)>(top.RootElement.GetProperty(paging.ItemsField).EnumerateArray().Select(i => (i, 1)));
            Task<ProviderReply> Counted(ProviderCall call, CancellationToken token)
            {
                requests++;
                return send(call, token);
            }

            while (pending.Count > 0 && requests < expand.MaxRequests && collected < maxBytes)
            {
                var (item, depth) = pending.Dequeue();
                if (!Expandable(item, expand) || Id(item, expand) is not { } id || fetched.ContainsKey(id))
                {
                    continue;
                }

                var call = new ProviderCall("GET", expand.Path.Replace("{id}", Uri.EscapeDataString(id), StringComparison.Ordinal) + query);
                var reply = await Paginator.CollectAsync(tool, call, Counted, maxBytes, ct);
                if (!reply.IsSuccess || Paginator.TryParseList(reply.Body, paging.ItemsField) is not { } children)
                {
                    continue;
                }

                fetched[id] = children;
                collected += reply.Body.Length;
                if (depth < expand.MaxDepth)
                {
                    foreach (var child in children.RootElement.GetProperty(paging.ItemsField).EnumerateArray())
                    {
                        pending.Enqueue((child, depth + 1));
                    }
                }
            }

            if (fetched.Count == 0)
            {
                return listing;
            }

            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, ToolResponseShaper.WriterOptions))
            {
                writer.WriteStartObject();
                foreach (var property in top.RootElement.EnumerateObject())
                {
                    if (property.NameEquals(paging.ItemsField))
                    {
                        writer.WritePropertyName(property.Name);
                        WriteItems(writer, property.Value, expand, fetched, paging.ItemsField);
                    }
                    else
                    {
                        property.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
            }

            return listing with { Body = buffer.WrittenMemory };
        }
        finally
        {
            top.Dispose();
            foreach (var document in fetched.Values)
            {
                document.Dispose();
            }
        }
    }

    private static void WriteItems(Utf8JsonWriter writer, JsonElement items, ChildExpansion expand, Dictionary<string, JsonDocument> fetched, string itemsField)
    {
        writer.WriteStartArray();
        foreach (var item in items.EnumerateArray())
        {
            if (Id(item, expand) is not { } id || !fetched.Remove(id, out var children))
            {
                // Not fetched, or already written once (a provider listing one item twice): as the provider sent it.
                item.WriteTo(writer);
                continue;
            }

            writer.WriteStartObject();
            foreach (var property in item.EnumerateObject().Where(p => !p.NameEquals(expand.Into)))
            {
                property.WriteTo(writer);
            }

            writer.WritePropertyName(expand.Into);
            WriteItems(writer, children.RootElement.GetProperty(itemsField), expand, fetched, itemsField);
            writer.WriteEndObject();
            children.Dispose();
        }

        writer.WriteEndArray();
    }

    private static bool Expandable(JsonElement item, ChildExpansion expand) =>
        item.ValueKind == JsonValueKind.Object
        && item.TryGetProperty(expand.When, out var flag) && flag.ValueKind == JsonValueKind.True
        && !(expand.SkipTypes is { Count: > 0 } skip
            && item.TryGetProperty(expand.TypeField, out var type) && type.ValueKind == JsonValueKind.String
            && skip.Contains(type.GetString()!, StringComparer.Ordinal));

    /// <summary>The item's id when it can be sent as one path segment; an id from a provider is still untrusted input.</summary>
    private static string? Id(JsonElement item, ChildExpansion expand) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(expand.IdField, out var id) && id.ValueKind == JsonValueKind.String
        && id.GetString() is { } text && ToolRequestRenderer.SegmentProblem(text) is null
            ? text
            : null;
}
