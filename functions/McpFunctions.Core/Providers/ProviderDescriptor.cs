using System.Text.Json;
using McpFunctions.Core.Connections;

namespace McpFunctions.Core.Providers;

/// <summary>One provider as the catalog describes it: how to authenticate, how to call its API, its tools.</summary>
public sealed record ProviderDescriptor(
    string Id,
    string DisplayName,
    ProviderAuth Auth,
    ProviderApi Api,
    IReadOnlyList<ToolDescriptor> Tools);

/// <summary>How a user connects to the provider.</summary>
/// <param name="Identity">The cheapest call that proves a credential works, and which response fields to keep as metadata.</param>
/// <param name="ConnectHint">What a user is told to do to connect (shown in NOT_CONNECTED errors).</param>
/// <param name="OAuth">The OAuth 2.0 flow, for <c>oauth2</c> providers and for API-key providers that also offer OAuth (Notion).</param>
public sealed record ProviderAuth(AuthType Type, IdentityCall? Identity, string? ConnectHint, OAuthSettings? OAuth = null);

/// <summary>An identity call: method and path under the API base URL, and metadata to keep from the response.</summary>
/// <param name="Metadata">Metadata name → dotted path into the response JSON (e.g. <c>bot.workspace_name</c>).</param>
public sealed record IdentityCall(string Method, string Path, IReadOnlyDictionary<string, string>? Metadata);

/// <summary>Where and how the provider's API is called.</summary>
/// <param name="BaseUrl">Absolute base URL; every call stays under it. Overridable by <c>Providers:{id}:BaseUrl</c>.</param>
/// <param name="AuthHeader">The header that carries the user's secret.</param>
/// <param name="Headers">Fixed headers sent on every call (e.g. <c>Notion-Version</c>), overridable by <c>Providers:{id}:Headers:{name}</c>.</param>
/// <param name="ErrorHints">HTTP status → advice appended to that error for the model (e.g. Notion's "share the page with the integration").</param>
public sealed record ProviderApi(
    Uri BaseUrl,
    AuthHeaderTemplate AuthHeader,
    IReadOnlyDictionary<string, string>? Headers,
    int TimeoutSeconds = 30,
    int MaxResponseBytes = 4 * 1024 * 1024,
    IReadOnlyDictionary<string, string>? ErrorHints = null);

/// <summary>A header whose value is a template with a <c>{token}</c> placeholder, e.g. <c>Bearer {token}</c>.</summary>
public sealed record AuthHeaderTemplate(string Name, string Value)
{
    public const string TokenPlaceholder = "{token}";

    public string Render(string secret) => Value.Replace(TokenPlaceholder, secret, StringComparison.Ordinal);
}

/// <summary>One MCP tool backed by one HTTP request template.</summary>
/// <param name="Output">How the response becomes text: <c>json</c> (default) or a named renderer such as <c>notion_blocks_text</c>.</param>
public sealed record ToolDescriptor(
    string Name,
    string? Title,
    string Description,
    JsonElement InputSchema,
    ToolAnnotations? Annotations,
    ToolRequest Request,
    string? Output = null);

/// <summary>MCP tool annotations (hints for the client, not guarantees).</summary>
public sealed record ToolAnnotations(bool? ReadOnlyHint = null, bool? DestructiveHint = null, bool? IdempotentHint = null, bool? OpenWorldHint = null);

/// <summary>The HTTP request a tool call becomes.</summary>
/// <param name="Path">Path under the base URL; <c>{name}</c> is replaced by the argument, encoded as one path segment.</param>
/// <param name="Query">Query parameter → template (<c>{name}</c> or a literal); dropped when the argument is absent.</param>
/// <param name="Body">JSON template: a string that is exactly <c>{name}</c> becomes the argument's JSON value, or the property is dropped when absent; anything else is literal.</param>
/// <param name="Paginate">When set, follow the provider's cursor and concatenate items.</param>
/// <param name="ExpandChildren">When set (with <paramref name="Paginate"/>), fetch each listed item's children into it.</param>
public sealed record ToolRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string>? Query = null,
    JsonElement? Body = null,
    Pagination? Paginate = null,
    ChildExpansion? ExpandChildren = null);

/// <summary>
/// Children fetched into each listed item, for APIs that hand out a tree one level per request (Notion's block
/// children): an item whose <paramref name="When"/> field is true gets its children list, requested at
/// <paramref name="Path"/> with the tool's query and pagination, as the array <paramref name="Into"/>.
/// </summary>
/// <param name="When">The item's boolean field saying it has children (Notion's <c>has_children</c>).</param>
/// <param name="Path">The children request's path; <c>{id}</c> is the item's <paramref name="IdField"/>, encoded as one segment.</param>
/// <param name="SkipTypes">Items whose <paramref name="TypeField"/> is one of these are left as they are (Notion's
/// <c>child_page</c>: a page of its own, read with its own call).</param>
/// <param name="MaxDepth">Levels fetched below the listed items.</param>
/// <param name="MaxRequests">Child-list requests one tool call may make (pages of one list count one each).</param>
public sealed record ChildExpansion(
    string When,
    string Path,
    string IdField = "id",
    string Into = "children",
    string TypeField = "type",
    IReadOnlyList<string>? SkipTypes = null,
    int MaxDepth = 3,
    int MaxRequests = 50);

/// <summary>Cursor pagination as a provider documents it.</summary>
/// <param name="CursorIn"><c>query</c> or <c>body</c>: where the cursor is sent.</param>
/// <param name="CursorParameter">The request parameter that carries the cursor (e.g. <c>start_cursor</c>).</param>
/// <param name="NextCursorField">Dotted path to the response field holding the next cursor (e.g. <c>next_cursor</c>),
/// or, with <paramref name="NextCursorQueryParameter"/>, the next page's URL (Qlik's <c>links.next.href</c>).</param>
/// <param name="HasMoreField">The response field saying more pages exist (e.g. <c>has_more</c>); optional.</param>
/// <param name="ItemsField">The response array to concatenate (e.g. <c>results</c>).</param>
/// <param name="MaxPages">A bound, so one tool call cannot walk an unbounded list.</param>
/// <param name="NextCursorQueryParameter">When set, <paramref name="NextCursorField"/> holds a URL and the cursor is this
/// query parameter of it (Qlik's <c>next</c>). Only the value is taken: the URL itself is never requested.</param>
public sealed record Pagination(
    string CursorIn,
    string CursorParameter,
    string NextCursorField,
    string? HasMoreField,
    string ItemsField,
    int MaxPages = 20,
    string? NextCursorQueryParameter = null)
{
    /// <summary>The name the joined list reports the remaining cursor under: the response field when that holds the
    /// cursor itself at the top level (Notion's <c>next_cursor</c>), else the request parameter a caller sends it back as.</summary>
    public string CursorOutputName =>
        NextCursorQueryParameter is null && !NextCursorField.Contains('.', StringComparison.Ordinal) ? NextCursorField : CursorParameter;
}
