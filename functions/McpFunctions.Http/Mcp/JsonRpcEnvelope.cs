using System.Text.Json;
using System.Text.Json.Nodes;
using McpFunctions.Http.Endpoints;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpFunctions.Http.Mcp;

/// <summary>Checks a POSTed body is one JSON-RPC 2.0 message and turns it into the SDK's request type.</summary>
/// <remarks>Checked by hand first so that each defect gets the JSON-RPC code the spec names, whatever the
/// SDK's converter would do with it.</remarks>
public static class JsonRpcEnvelope
{
    public const int MaxDepth = RequestBody.MaxDepth;

    /// <returns>The request; null for a notification or a response, which get no answer.</returns>
    public static JsonRpcRequest? Parse(ReadOnlyMemory<byte> body)
    {
        switch (RequestBody.Inspect(body.Span, MaxDepth))
        {
            case JsonTextDefect.InvalidText:
                throw new RejectedException(default, McpErrorCode.ParseError, "Parse error: the body holds invalid UTF-8 or a lone UTF-16 surrogate escape.");
            case JsonTextDefect.DuplicateMember:
                throw new RejectedException(default, McpErrorCode.InvalidRequest, "Invalid Request: an object names a member more than once.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException)
        {
            throw new RejectedException(default, McpErrorCode.ParseError, body.IsEmpty ? "Parse error: empty body." : "Parse error: the body is not valid JSON (or nests deeper than 64 levels).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                throw new RejectedException(default, McpErrorCode.InvalidRequest, "Invalid Request: JSON-RPC batches are not supported; send one message per request.");
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new RejectedException(default, McpErrorCode.InvalidRequest, "Invalid Request: a JSON-RPC message must be an object.");
            }

            var id = IdOf(root);
            if (!root.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"))
            {
                throw new RejectedException(id ?? default, McpErrorCode.InvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\".");
            }

            if (!root.TryGetProperty("method", out var method))
            {
                if (root.TryGetProperty("result", out _) || root.TryGetProperty("error", out _))
                {
                    return null; // a response to a server request; we send none, so there is nothing to match
                }

                throw new RejectedException(id ?? default, McpErrorCode.InvalidRequest, "Invalid Request: \"method\" is required.");
            }

            if (method.ValueKind != JsonValueKind.String || method.GetString() is not { Length: > 0 } name)
            {
                throw new RejectedException(id ?? default, McpErrorCode.InvalidRequest, "Invalid Request: \"method\" must be a non-empty string.");
            }

            JsonNode? parameters = null;
            if (root.TryGetProperty("params", out var p))
            {
                if (p.ValueKind != JsonValueKind.Object)
                {
                    throw new RejectedException(id ?? default, McpErrorCode.InvalidParams, "Invalid params: \"params\" must be an object.");
                }

                parameters = JsonNode.Parse(p.GetRawText());
            }

            if (!root.TryGetProperty("id", out _))
            {
                return null; // a notification
            }

            return new JsonRpcRequest
            {
                Id = id ?? throw new RejectedException(default, McpErrorCode.InvalidRequest, "Invalid Request: \"id\" must be a string or an integer."),
                Method = name,
                Params = parameters,
            };
        }
    }

    private static RequestId? IdOf(JsonElement root)
    {
        if (!root.TryGetProperty("id", out var id))
        {
            return null;
        }

        return id.ValueKind switch
        {
            JsonValueKind.String => new RequestId(id.GetString()!),
            JsonValueKind.Number when id.TryGetInt64(out var n) => new RequestId(n),
            _ => null,
        };
    }

    /// <summary>The message cannot be processed; carries the JSON-RPC error to answer with.</summary>
    public sealed class RejectedException(RequestId id, McpErrorCode code, string message) : Exception(message)
    {
        public RequestId Id { get; } = id;

        public McpErrorCode Code { get; } = code;
    }
}
