using System.Text.Json;
using System.Text.Unicode;
using System.Text.Json.Serialization.Metadata;
using McpFunctions.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.Http.Endpoints;

/// <summary>Reads a bounded JSON body; every defect becomes VALIDATION_ERROR or PAYLOAD_TOO_LARGE.</summary>
/// <remarks>The limit is enforced here rather than by the server, because Kestrel's and the Functions
/// host's limits differ and this code runs under both. Every JSON body, REST or MCP, passes <see cref="Inspect"/>
/// before a parser reads it, so no two readers can see one body differently.</remarks>
public static class RequestBody
{
    public const int DefaultLimitBytes = 64 * 1024;

    public static async Task<T> ReadJsonAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken, int limitBytes = DefaultLimitBytes)
        where T : class
    {
        var bytes = await ReadBytesAsync(request, limitBytes, cancellationToken);
        if (bytes.Length == 0)
        {
            throw new McpFunctionsException(ErrorCode.ValidationError, "A JSON body is required.");
        }

        switch (Inspect(bytes, MaxDepth))
        {
            case JsonTextDefect.InvalidText:
                throw new McpFunctionsException(ErrorCode.ValidationError, "The body holds invalid UTF-8 or a lone UTF-16 surrogate escape.");
            case JsonTextDefect.DuplicateMember:
                throw new McpFunctionsException(ErrorCode.ValidationError, "The body names a field more than once in one object.");
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, typeInfo)
                ?? throw new McpFunctionsException(ErrorCode.ValidationError, "The body must be a JSON object, not null.");
        }
        catch (JsonException ex)
        {
            // Our own words: the serializer's message can quote parts of the body, which may hold a secret.
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "The body" : $"Field '{ex.Path.TrimStart('$', '.')}'";
            var what = ex.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"{where} is not a known field."
                : $"{where} is not valid JSON of the expected type.";
            throw new McpFunctionsException(ErrorCode.ValidationError, what);
        }
    }

    /// <summary>How deep a JSON body may nest.</summary>
    public const int MaxDepth = 64;

    /// <summary>Checks the text of a JSON body in one pass: valid UTF-8, no escape that decodes to a lone surrogate,
    /// no member named twice in one object, nesting within <paramref name="maxDepth"/>.</summary>
    public static JsonTextDefect Inspect(ReadOnlySpan<byte> json, int maxDepth)
    {
        if (!Utf8.IsValid(json))
        {
            return JsonTextDefect.InvalidText;
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        var members = new Stack<HashSet<string>?>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        members.Push(null);
                        break;
                    case JsonTokenType.EndObject:
                        members.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        // GetString throws InvalidOperationException for an escaped lone surrogate.
                        var names = members.Pop() ?? new HashSet<string>(StringComparer.Ordinal);
                        var added = names.Add(reader.GetString()!);
                        members.Push(names);
                        if (!added)
                        {
                            return JsonTextDefect.DuplicateMember;
                        }

                        break;
                    case JsonTokenType.String when reader.ValueIsEscaped:
                        _ = reader.GetString();
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return JsonTextDefect.Malformed;
        }
        catch (InvalidOperationException)
        {
            return JsonTextDefect.InvalidText;
        }

        return JsonTextDefect.None;
    }

    public static async Task<byte[]> ReadBytesAsync(HttpRequest request, int limitBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limitBytes)
        {
            throw TooLarge(limitBytes);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limitBytes)
            {
                throw TooLarge(limitBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static McpFunctionsException TooLarge(int limitBytes) =>
        new(ErrorCode.PayloadTooLarge, $"The request body is larger than {limitBytes / 1024} KiB.");
}
