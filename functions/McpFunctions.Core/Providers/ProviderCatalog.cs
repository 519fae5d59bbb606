using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Tools;
using McpFunctions.Core.Security;

namespace McpFunctions.Core.Providers;

/// <summary>The providers this deployment knows, loaded from JSON catalog files and validated once at startup.</summary>
public sealed partial class ProviderCatalog
{
    private readonly FrozenDictionary<string, ProviderDescriptor> providers;

    public ProviderCatalog(IEnumerable<ProviderDescriptor> providers)
    {
        var byId = new Dictionary<string, ProviderDescriptor>(StringComparer.Ordinal);
        foreach (var provider in providers)
        {
            if (!byId.TryAdd(provider.Id, provider))
            {
                throw new InvalidOperationException($"Provider catalog: provider id '{provider.Id}' is defined twice.");
            }
        }

        this.providers = byId.ToFrozenDictionary(StringComparer.Ordinal);
        ToolsByName = this.providers.Values
            .SelectMany(p => p.Tools.Select(t => (Tool: t, Provider: p)))
            .ToFrozenDictionary(x => x.Tool.Name, x => new ProviderTool(x.Provider, x.Tool, ToolInputSchema.Compile(x.Tool.InputSchema)), StringComparer.Ordinal);
    }

    public IEnumerable<ProviderDescriptor> All => providers.Values;

    /// <summary>Every tool of every provider by its (globally unique) name.</summary>
    public FrozenDictionary<string, ProviderTool> ToolsByName { get; }

    public bool TryGet(string id, out ProviderDescriptor provider) => providers.TryGetValue(id, out provider!);

    /// <summary>The provider, or a PROVIDER_NOT_FOUND failure naming what exists.</summary>
    public ProviderDescriptor Get(string id) =>
        providers.TryGetValue(id, out var provider)
            ? provider
            : throw new McpFunctionsException(
                ErrorCode.ProviderNotFound,
                $"Unknown provider '{Truncate(id)}'. Known providers: {string.Join(", ", providers.Keys.Order())}.");

    /// <summary>Loads and validates catalog files; a broken entry fails with the file and field named.</summary>
    public static ProviderCatalog Load(IEnumerable<(string Name, Stream Content)> files, JsonTypeInfo<ProviderDescriptor> typeInfo) =>
        Load(files, [], typeInfo);

    /// <summary>Loads and validates catalog files, then entries defined one per setting; a broken entry fails with the
    /// file or setting and the field named.</summary>
    public static ProviderCatalog Load(
        IEnumerable<(string Name, Stream Content)> files, IEnumerable<ProviderDefinition> definitions, JsonTypeInfo<ProviderDescriptor> typeInfo)
    {
        var descriptors = new List<ProviderDescriptor>();
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);

        void Add(string source, string where, ProviderDescriptor descriptor)
        {
            Validate(where, descriptor);
            if (!sources.TryAdd(descriptor.Id, source))
            {
                throw new InvalidOperationException($"{where}: id '{descriptor.Id}' is already defined in '{sources[descriptor.Id]}'.");
            }

            foreach (var tool in descriptor.Tools)
            {
                if (!toolNames.TryAdd(tool.Name, source))
                {
                    throw new InvalidOperationException($"{where}: tools[{tool.Name}].name is already defined in '{toolNames[tool.Name]}'.");
                }
            }

            descriptors.Add(descriptor);
        }

        foreach (var (name, content) in files)
        {
            var where = $"Provider catalog '{name}'";
            ProviderDescriptor? descriptor;
            try
            {
                descriptor = JsonSerializer.Deserialize(content, typeInfo);
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException($"{where}: invalid JSON at {ex.Path ?? "$"} (line {ex.LineNumber + 1}): {ex.Message}", ex);
            }

            Add(name, where, descriptor ?? throw new InvalidOperationException($"{where}: the file is empty."));
        }

        foreach (var definition in definitions)
        {
            var where = $"Provider definition in setting {definition.SettingName}";
            ProviderDescriptor? descriptor;
            try
            {
                descriptor = JsonSerializer.Deserialize(definition.Json, typeInfo);
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException($"{where}: invalid JSON at {ex.Path ?? "$"} (line {ex.LineNumber + 1}): {ex.Message}", ex);
            }

            if (descriptor is null)
            {
                throw new InvalidOperationException($"{where}: the value is JSON null, not a catalog entry.");
            }

            // The setting's name already says which provider this is; an id inside may only repeat it.
            if (descriptor.Id is null)
            {
                descriptor = descriptor with { Id = definition.Id };
            }
            else if (descriptor.Id != definition.Id)
            {
                throw new InvalidOperationException($"{where}: id must be '{definition.Id}' (as in the setting's name) or left out, not '{Truncate(descriptor.Id)}'.");
            }

            Add(definition.SettingName, where, descriptor);
        }

        return new ProviderCatalog(descriptors);
    }

    /// <summary>The catalog files compiled into this assembly.</summary>
    public static IEnumerable<(string Name, Stream Content)> EmbeddedFiles()
    {
        var assembly = typeof(ProviderCatalog).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".json", StringComparison.Ordinal)).Order())
        {
            yield return (resource, assembly.GetManifestResourceStream(resource)!);
        }
    }

    private static void Validate(string where, ProviderDescriptor p)
    {
        Require(where, "id", p.Id is not null && IdPattern().IsMatch(p.Id), "must be lowercase letters, digits, '-' or '_' (1-32)");
        Require(where, "displayName", !string.IsNullOrWhiteSpace(p.DisplayName), "is required");
        Require(where, "auth", p.Auth is not null, "is required");
        Require(where, "api", p.Api is not null, "is required");
        Require(where, "api.baseUrl", SecureUrl.IsAllowed(p.Api!.BaseUrl), "must be an absolute https URL (http only on loopback)");
        Require(where, "api.authHeader", p.Api.AuthHeader is { } h && !string.IsNullOrWhiteSpace(h.Name) && h.Value?.Contains(AuthHeaderTemplate.TokenPlaceholder, StringComparison.Ordinal) == true, "needs a name and a value containing {token}");
        Require(where, "api.timeoutSeconds", p.Api.TimeoutSeconds is > 0 and <= 300, "must be 1..300");
        Require(where, "api.maxResponseBytes", p.Api.MaxResponseBytes is > 0, "must be positive");
        if (p.Auth!.Identity is { } identity)
        {
            Require(where, "auth.identity.method", identity.Method is "GET" or "POST", "must be GET or POST");
            Require(where, "auth.identity.path", identity.Path?.StartsWith('/') == true, "must start with '/'");
        }

        Require(where, "auth.oauth", p.Auth.Type != Connections.AuthType.OAuth2 || p.Auth.OAuth is not null, "is required when auth.type is oauth2");
        if (p.Auth.OAuth is { } oauth)
        {
            ValidateOAuth(where, oauth);
        }

        Require(where, "tools", p.Tools is not null, "is required (may be empty)");
        for (var i = 0; i < p.Tools!.Count; i++)
        {
            ValidateTool(where, $"tools[{i}]", p.Tools[i]);
        }
    }

    private static void ValidateOAuth(string where, OAuthSettings oauth)
    {
        Require(where, "auth.oauth.authorizeUrl", IsEndpoint(oauth.AuthorizeUrl), "must be an absolute https URL or a path under api.baseUrl");
        Require(where, "auth.oauth.tokenUrl", IsEndpoint(oauth.TokenUrl), "must be an absolute https URL or a path under api.baseUrl");
        Require(where, "auth.oauth.clientAuth", oauth.ClientAuth is OAuthSettings.ClientSecretBasic or OAuthSettings.ClientSecretPost, "must be client_secret_basic or client_secret_post");
        Require(where, "auth.oauth.tokenRequestFormat", oauth.TokenRequestFormat is OAuthSettings.FormFormat or OAuthSettings.JsonFormat, "must be form or json");
        Require(where, "auth.oauth.refreshMarginSeconds", oauth.RefreshMarginSeconds is >= 0 and <= 86400, "must be 0..86400");
        Require(where, "auth.oauth.refreshTokenIdleDays", oauth.RefreshTokenIdleDays is null or > 0, "must be positive");
        if (oauth.Revocation is { } revocation)
        {
            Require(where, "auth.oauth.revocation.url", IsEndpoint(revocation.Url), "must be an absolute https URL or a path under api.baseUrl");
            Require(where, "auth.oauth.revocation.style", revocation.Style is OAuthRevocation.Rfc7009 or OAuthRevocation.JsonToken or OAuthRevocation.GitHubGrant,
                "must be rfc7009, json_token or github_grant");
        }
    }

    private static bool IsEndpoint(string? url) =>
        url is not null && ((url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal))
            || SecureUrl.TryParse(url, out _));

    private static void ValidateTool(string where, string at, ToolDescriptor tool)
    {
        Require(where, $"{at}.name", tool.Name is not null && ToolNamePattern().IsMatch(tool.Name), "must match ^[a-zA-Z0-9_-]{1,64}$");
        at = $"tools[{tool.Name}]";
        Require(where, $"{at}.description", !string.IsNullOrWhiteSpace(tool.Description), "is required");
        Require(where, $"{at}.inputSchema", tool.InputSchema.ValueKind == JsonValueKind.Object
            && tool.InputSchema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("object"), "must be a JSON Schema with \"type\": \"object\"");
        try
        {
            ToolInputSchema.Compile(tool.InputSchema);
        }
        catch (FormatException ex)
        {
            Require(where, $"{at}.inputSchema", false, "is not a valid JSON Schema: " + ex.Message);
        }

        Require(where, $"{at}.request", tool.Request is not null, "is required");
        Require(where, $"{at}.request.method", tool.Request!.Method is "GET" or "POST" or "PATCH" or "PUT" or "DELETE", "must be GET, POST, PATCH, PUT or DELETE");
        Require(where, $"{at}.request.path", tool.Request.Path?.StartsWith('/') == true && !tool.Request.Path.Contains("..", StringComparison.Ordinal), "must start with '/' and not contain '..'");
        Require(where, $"{at}.output", tool.Output is null or "json" or "notion_blocks_text", "must be json or notion_blocks_text");

        var properties = tool.InputSchema.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object
            ? props.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal)
            : [];
        var required = tool.InputSchema.TryGetProperty("required", out var req) && req.ValueKind == JsonValueKind.Array
            ? req.EnumerateArray().Select(r => r.GetString()).ToHashSet(StringComparer.Ordinal)
            : [];
        foreach (Match m in PlaceholderPattern().Matches(tool.Request.Path!))
        {
            var name = m.Groups[1].Value;
            Require(where, $"{at}.request.path", required.Contains(name), $"placeholder {{{name}}} must be a required property of inputSchema");
        }

        foreach (var (parameter, template) in tool.Request.Query ?? FrozenDictionary<string, string>.Empty)
        {
            if (PlaceholderPattern().Match(template) is { Success: true } m)
            {
                Require(where, $"{at}.request.query.{parameter}", properties.Contains(m.Groups[1].Value), $"placeholder {{{m.Groups[1].Value}}} is not a property of inputSchema");
            }
        }

        if (tool.Request.Paginate is { } page)
        {
            Require(where, $"{at}.request.paginate.cursorIn", page.CursorIn is "query" or "body", "must be query or body");
            Require(where, $"{at}.request.paginate.maxPages", page.MaxPages is > 0 and <= 100, "must be 1..100");
            Require(where, $"{at}.request.paginate.nextCursorField", !string.IsNullOrWhiteSpace(page.NextCursorField), "is required");
            Require(where, $"{at}.request.paginate.nextCursorQueryParameter", page.NextCursorQueryParameter is null || page.NextCursorQueryParameter.Length > 0, "must not be empty");
        }

        if (tool.Request.ExpandChildren is { } expand)
        {
            var expandAt = $"{at}.request.expandChildren";
            Require(where, expandAt, tool.Request.Paginate is not null, "needs request.paginate (children are lists paged the same way)");
            Require(where, $"{expandAt}.when", !string.IsNullOrWhiteSpace(expand.When), "is required");
            Require(where, $"{expandAt}.path", expand.Path?.StartsWith('/') == true && !expand.Path.Contains("..", StringComparison.Ordinal)
                && PlaceholderPattern().Matches(expand.Path).Select(m => m.Groups[1].Value).SequenceEqual(["id"]), "must start with '/', hold {id} once and no other placeholder, and not contain '..'");
            Require(where, $"{expandAt}.idField", !string.IsNullOrWhiteSpace(expand.IdField), "must not be empty");
            Require(where, $"{expandAt}.into", !string.IsNullOrWhiteSpace(expand.Into), "must not be empty");
            Require(where, $"{expandAt}.maxDepth", expand.MaxDepth is > 0 and <= 10, "must be 1..10");
            Require(where, $"{expandAt}.maxRequests", expand.MaxRequests is > 0 and <= 200, "must be 1..200");
        }
    }

    /// <param name="where">Names the source for the person fixing it: the catalog file or the setting.</param>
    private static void Require(string where, string field, bool condition, string rule)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"{where}: {field} {rule}.");
        }
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";

    [GeneratedRegex(@"\A[a-z0-9_-]{1,32}\z")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"\A[a-zA-Z0-9_-]{1,64}\z")]
    private static partial Regex ToolNamePattern();

    [GeneratedRegex(@"\{([A-Za-z0-9_]+)\}")]
    internal static partial Regex PlaceholderPattern();
}

/// <summary>A catalog entry held by one setting, <c>Providers__{id}__Definition</c>, rather than a file: a deployment whose
/// code comes from a package (Flex Consumption) has no folder to put a catalog file in, but it has app settings.</summary>
/// <param name="SettingName">How errors name it, e.g. <c>Providers__acme__Definition</c>.</param>
/// <param name="Id">The provider id the setting's name gives; the entry's own <c>id</c> must be absent or equal.</param>
/// <param name="Json">The catalog entry, in the same schema as a catalog file.</param>
public sealed record ProviderDefinition(string SettingName, string Id, string Json);

/// <summary>A tool together with the provider that owns it.</summary>
/// <param name="Input">The tool's input schema, compiled once when the catalog loads.</param>
public sealed record ProviderTool(ProviderDescriptor Provider, ToolDescriptor Tool, ToolInputSchema Input);
