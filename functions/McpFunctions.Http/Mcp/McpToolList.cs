using System.Text.Json;
using System.Text.Json.Nodes;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using ModelContextProtocol.Protocol;

namespace McpFunctions.Http.Mcp;

/// <summary>The MCP <see cref="Tool"/> definitions of the catalog, built once: schemas gain the optional <c>account</c> argument.</summary>
public sealed class McpToolList
{
    private readonly Dictionary<string, IReadOnlyList<Tool>> byProvider;

    public McpToolList(ProviderCatalog catalog)
    {
        byProvider = catalog.All.ToDictionary(p => p.Id, p => (IReadOnlyList<Tool>)[.. p.Tools.Select(t => ToMcp(p, t))], StringComparer.Ordinal);
    }

    public IReadOnlyList<Tool> For(IEnumerable<string> providerIds) =>
        [.. providerIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).SelectMany(id => byProvider.TryGetValue(id, out var tools) ? tools : [])];

    private static Tool ToMcp(ProviderDescriptor provider, ToolDescriptor tool) => new()
    {
        Name = tool.Name,
        Title = tool.Title,
        Description = tool.Description,
        InputSchema = WithAccount(tool.InputSchema, provider),
        OutputSchema = ToolResponseShaper.OutputSchemaOf(tool),
        Annotations = tool.Annotations is { } a
            ? new ModelContextProtocol.Protocol.ToolAnnotations
            {
                Title = tool.Title,
                ReadOnlyHint = a.ReadOnlyHint,
                DestructiveHint = a.DestructiveHint,
                IdempotentHint = a.IdempotentHint,
                OpenWorldHint = a.OpenWorldHint,
            }
            : null,
    };

    private static JsonElement WithAccount(JsonElement schema, ProviderDescriptor provider)
    {
        var node = JsonNode.Parse(schema.GetRawText())!.AsObject();
        if (node["properties"] is not JsonObject properties)
        {
            properties = [];
            node["properties"] = properties;
        }

        properties[CallTool.AccountArgument] = new JsonObject
        {
            ["type"] = "string",
            ["description"] = $"Which connected {provider.DisplayName} account to use. Optional: defaults to the account named 'default', or the only one connected.",
        };
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }
}
