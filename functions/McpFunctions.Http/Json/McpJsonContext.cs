using System.Text.Json;
using System.Text.Json.Serialization;
using McpFunctions.Adapters.Cosmos;
using McpFunctions.Adapters.Webhooks;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Events;
using McpFunctions.Core.Providers;
using McpFunctions.Http.Admin;
using McpFunctions.Http.Connections;
using McpFunctions.Http.Endpoints;
using McpFunctions.Http.Health;
using McpFunctions.Http.Mcp;
using McpFunctions.Http.OAuth;

namespace McpFunctions.Http.Json;

/// <summary>The one source-generated serializer context: wire types, stored documents, catalog files.</summary>
/// <remarks>Web defaults (camelCase) for documents and catalog; our HTTP contracts name their
/// snake_case properties explicitly. A type missing here fails the reflection-free test run.</remarks>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 64,
    ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(ProviderDescriptor))]
[JsonSerializable(typeof(Credential))]
[JsonSerializable(typeof(ConnectionDocument))]
[JsonSerializable(typeof(CosmosFeedPage<ConnectionDocument>))]
[JsonSerializable(typeof(ConnectionEvent))]
[JsonSerializable(typeof(WebhookDocument))]
[JsonSerializable(typeof(CosmosFeedPage<WebhookDocument>))]
[JsonSerializable(typeof(ConnectRequest))]
[JsonSerializable(typeof(ConnectionView))]
[JsonSerializable(typeof(ConnectionList))]
[JsonSerializable(typeof(DisconnectView))]
[JsonSerializable(typeof(AuthorizeRequest))]
[JsonSerializable(typeof(AuthorizeResponse))]
[JsonSerializable(typeof(CompleteRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(OAuthRecordDocument))]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(KeyReportView))]
[JsonSerializable(typeof(RewrapResultView))]
[JsonSerializable(typeof(ConnectRequestState))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
public sealed partial class McpJsonContext : JsonSerializerContext;
