using System.Buffers;
using System.Text.Json;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;

namespace McpFunctions.Core.Tools;

/// <summary>Follows a provider's cursor for a tool whose request says <c>paginate</c>, and joins the pages into one list.</summary>
public static class Paginator
{
    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 256 };

    /// <summary>
    /// Sends <paramref name="first"/> and, when the tool paginates, the following pages: at most
    /// <see cref="Pagination.MaxPages"/>, and no further page once the pages so far hold
    /// <paramref name="maxBytes"/> (the provider's cap for one response), so one call holds at most about twice
    /// that in memory. The result is <c>{"object":"list", items, has-more, next-cursor}</c> with the catalog's
    /// field names; a listing cut short says has-more with the cursor to go on from. A page that is not 2xx is
    /// returned as it is.
    /// </summary>
    /// <exception cref="McpFunctionsException"><see cref="ErrorCode.ProviderError"/> when a later page is not a list.</exception>
    public static async Task<ProviderReply> CollectAsync(
        ToolDescriptor tool,
        ProviderCall first,
        Func<ProviderCall, CancellationToken, Task<ProviderReply>> send,
        int maxBytes,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(send);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        if (tool.Request.Paginate is not { } paging)
        {
            return await send(first, ct);
        }

        var pages = new List<JsonDocument>();
        try
        {
            var call = first;
            ProviderReply reply;
            string? cursor;
            var hasMore = false;
            var collected = 0L;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                reply = await send(call, ct);
                if (!reply.IsSuccess)
                {
                    return reply;
                }

                if (TryParseList(reply.Body, paging.ItemsField) is not { } page)
                {
                    if (pages.Count == 0)
                    {
                        return reply; // Not a list at all: nothing to join, hand it on unchanged.
                    }

                    throw new McpFunctionsException(ErrorCode.ProviderError, $"Page {pages.Count + 1} of the listing was not a list with '{paging.ItemsField}'.");
                }

                pages.Add(page);
                collected += reply.Body.Length;
                var root = page.RootElement;
                cursor = NextCursor(root, paging);
                hasMore = paging.HasMoreField is null
                    ? !string.IsNullOrEmpty(cursor)
                    : root.TryGetProperty(paging.HasMoreField, out var more) && more.ValueKind == JsonValueKind.True;
                if (!hasMore || string.IsNullOrEmpty(cursor) || pages.Count >= paging.MaxPages || collected >= maxBytes)
                {
                    break;
                }

                call = paging.CursorIn == "body" ? WithBodyCursor(call, paging.CursorParameter, cursor) : WithQueryCursor(call, paging.CursorParameter, cursor);
            }

            return new ProviderReply(reply.Status, Join(pages, paging, hasMore, cursor));
        }
        finally
        {
            foreach (var page in pages)
            {
                page.Dispose();
            }
        }
    }

    /// <summary>The body parsed, when it is an object with an array at <paramref name="itemsField"/>; else null.</summary>
    internal static JsonDocument? TryParseList(ReadOnlyMemory<byte> body, string itemsField)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, ReadOptions);
        }
        catch (JsonException)
        {
            return null;
        }

        if (document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty(itemsField, out var items) && items.ValueKind == JsonValueKind.Array)
        {
            return document;
        }

        document.Dispose();
        return null;
    }

    private static ReadOnlyMemory<byte> Join(List<JsonDocument> pages, Pagination paging, bool hasMore, string? cursor)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, ToolResponseShaper.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray(paging.ItemsField);
            foreach (var page in pages)
            {
                foreach (var item in page.RootElement.GetProperty(paging.ItemsField).EnumerateArray())
                {
                    item.WriteTo(writer);
                }
            }

            writer.WriteEndArray();
            if (paging.HasMoreField is { } hasMoreField)
            {
                writer.WriteBoolean(hasMoreField, hasMore);
            }

            if (hasMore && cursor is not null)
            {
                writer.WriteString(paging.CursorOutputName, cursor);
            }
            else
            {
                writer.WriteNull(paging.CursorOutputName);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    /// <summary>The cursor the page names: the value at the catalog's path, or a query parameter of the URL found there.</summary>
    private static string? NextCursor(JsonElement root, Pagination paging)
    {
        if (JsonPath.Find(root, paging.NextCursorField) is not { ValueKind: JsonValueKind.String } value)
        {
            return null;
        }

        var text = value.GetString();
        return paging.NextCursorQueryParameter is { } parameter ? QueryParameter(text, parameter) : text;
    }

    /// <summary>The decoded value of one query parameter of a URL (absolute or relative), or null when it has none.</summary>
    internal static string? QueryParameter(string? url, string parameter)
    {
        var start = url?.IndexOf('?', StringComparison.Ordinal) ?? -1;
        if (start < 0)
        {
            return null;
        }

        var query = url![(start + 1)..];
        var fragment = query.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            query = query[..fragment];
        }

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (Uri.UnescapeDataString(parts[0]) == parameter)
            {
                return parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
            }
        }

        return null;
    }

    /// <summary>The same call with the cursor query parameter set (replacing any earlier one).</summary>
    internal static ProviderCall WithQueryCursor(ProviderCall call, string parameter, string cursor)
    {
        var (path, query) = call.PathAndQuery.IndexOf('?', StringComparison.Ordinal) is var q and >= 0
            ? (call.PathAndQuery[..q], call.PathAndQuery[(q + 1)..])
            : (call.PathAndQuery, string.Empty);
        var kept = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(pair => Uri.UnescapeDataString(pair.Split('=', 2)[0]) != parameter);
        var rebuilt = string.Join('&', kept.Append($"{Uri.EscapeDataString(parameter)}={Uri.EscapeDataString(cursor)}"));
        return call with { PathAndQuery = $"{path}?{rebuilt}" };
    }

    /// <summary>The same call with the cursor property set in its JSON body (replacing any earlier one).</summary>
    internal static ProviderCall WithBodyCursor(ProviderCall call, string property, string cursor)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, ToolResponseShaper.WriterOptions))
        {
            writer.WriteStartObject();
            if (!call.JsonBody.IsEmpty)
            {
                using var body = JsonDocument.Parse(call.JsonBody, ReadOptions);
                if (body.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new McpFunctionsException(ErrorCode.InternalError, "A body-cursor request must have a JSON object body.");
                }

                foreach (var p in body.RootElement.EnumerateObject().Where(p => p.Name != property))
                {
                    p.WriteTo(writer);
                }
            }

            writer.WriteString(property, cursor);
            writer.WriteEndObject();
        }

        return call with { JsonBody = buffer.WrittenMemory };
    }
}
