using System.Text.Json;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Errors;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.Tools;

/// <summary>Use case: run one tool for one user, with that user's credential and nobody else's.</summary>
public sealed class CallTool(
    ProviderCatalog catalog,
    ResolveCredential credentials,
    IProviderClient providers,
    OAuthProviders oauthProviders,
    McpMetrics metrics,
    TimeProvider clock,
    ILogger<CallTool> logger)
{
    /// <summary>The argument every tool accepts to pick one of several connected accounts; never sent to providers.</summary>
    public const string AccountArgument = "account";

    /// <returns>Null when no such tool exists (a protocol error, not a tool result).</returns>
    public async Task<ToolOutcome?> ExecuteAsync(Caller caller, string toolName, JsonElement arguments, CancellationToken cancellationToken)
    {
        if (!catalog.ToolsByName.TryGetValue(toolName, out var entry))
        {
            return null;
        }

        var started = clock.GetTimestamp();
        var outcome = await RunAsync(caller, entry.Provider, entry.Tool, entry.Input, arguments, cancellationToken);
        metrics.ToolCalled(entry.Provider.Id, entry.Tool.Name, OutcomeTag(outcome), clock.GetElapsedTime(started));
        return outcome;
    }

    private static string OutcomeTag(ToolOutcome outcome) => outcome switch
    {
        ToolOutcome.Succeeded => "ok",
        ToolOutcome.AuthorizationRequired => "authorization_required",
        ToolOutcome.Failed failed => failed.Code.ToWire(),
        _ => "unknown",
    };

    private async Task<ToolOutcome> RunAsync(Caller caller, ProviderDescriptor provider, ToolDescriptor tool, ToolInputSchema input, JsonElement arguments, CancellationToken cancellationToken)
    {
        if (arguments.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            arguments = EmptyObject;
        }

        if (arguments.ValueKind != JsonValueKind.Object)
        {
            return new ToolOutcome.Failed(ErrorCode.ValidationError, "Invalid arguments: arguments must be a JSON object.");
        }

        string? account = null;
        if (arguments.TryGetProperty(AccountArgument, out var accountValue))
        {
            if (accountValue.ValueKind != JsonValueKind.String)
            {
                return new ToolOutcome.Failed(ErrorCode.ValidationError, "Invalid arguments: account: must be a string.");
            }

            account = accountValue.GetString();
            arguments = Without(arguments, AccountArgument);
        }

        if (input.Validate(arguments) is { } invalid)
        {
            return new ToolOutcome.Failed(ErrorCode.ValidationError, $"Invalid arguments: {invalid.Message}");
        }

        try
        {
            var call = ToolRequestRenderer.Render(tool, arguments);
            var resolved = await credentials.ExecuteAsync(caller, provider, account, cancellationToken);
            var reply = await SendAsync(provider, tool, call, resolved, cancellationToken);
            if (reply.Status == 401 && await credentials.RenewRejectedAsync(provider, resolved, cancellationToken) is { } renewed)
            {
                // The token was refused before its time (revoked, rotated elsewhere): one refresh, one retry.
                logger.LogInformation("Tool {Tool}: {Provider} answered 401; retrying once with a refreshed token", tool.Name, provider.Id);
                resolved = renewed;
                reply = await SendAsync(provider, tool, call, resolved, cancellationToken);
            }

            var secret = resolved.Credential.Secret!;
            if (reply.Status == 401)
            {
                await credentials.MarkRejectedAsync(resolved.Stored, cancellationToken);
            }

            await credentials.TouchAsync(resolved.Stored, cancellationToken);
            if (!reply.IsSuccess)
            {
                logger.LogInformation("Tool {Tool} got HTTP {Status} from {Provider}", tool.Name, reply.Status, provider.Id);
                return new ToolOutcome.Failed(
                    ErrorCode.ProviderError,
                    $"{provider.DisplayName} answered HTTP {reply.Status}: {ProviderErrorText.From(reply, secret)}{AdviceFor(reply.Status, provider)}",
                    reply.Status);
            }

            var (structured, text) = ToolResponseShaper.Shape(tool, reply.Body);
            logger.LogInformation("Tool {Tool} succeeded", tool.Name);
            return new ToolOutcome.Succeeded(structured, text);
        }
        catch (McpFunctionsException ex) when (ex.Code is ErrorCode.NotConnected or ErrorCode.NeedsReauth && oauthProviders.Find(provider) is not null)
        {
            return new ToolOutcome.AuthorizationRequired(provider, AccountName.Normalize(account), ex.Message);
        }
        catch (McpFunctionsException ex)
        {
            logger.LogInformation("Tool {Tool} failed with {Code}", tool.Name, ex.Code.ToWire());
            return new ToolOutcome.Failed(ex.Code, ex.Message, ex.ProviderStatus);
        }
    }

    private async Task<ProviderReply> SendAsync(ProviderDescriptor provider, ToolDescriptor tool, ProviderCall call, ResolvedCredential resolved, CancellationToken cancellationToken)
    {
        var secret = resolved.Credential.Secret
            ?? throw new McpFunctionsException(ErrorCode.CredentialDecryptFailed, "The stored credential holds no usable secret; reconnect to replace it.");
        Task<ProviderReply> Send(ProviderCall next, CancellationToken ct) => providers.SendAsync(provider, resolved.Stored.Connection.Key.TenantId, next, secret, ct);
        var reply = await Paginator.CollectAsync(tool, call, Send, provider.Api.MaxResponseBytes, cancellationToken);
        return await ChildExpander.ExpandAsync(tool, call, reply, Send, provider.Api.MaxResponseBytes, cancellationToken);
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    private static string AdviceFor(int status, ProviderDescriptor provider) =>
        provider.Api.ErrorHints?.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var hint) == true
            ? " " + hint
            : status switch
            {
                401 => $" The stored credential was rejected; the connection is marked needs_reauth. {ResolveCredential.HowToConnect(provider)}",
                429 => " The provider is rate limiting; wait and retry.",
                _ => "",
            };

    private static JsonElement Without(JsonElement arguments, string name)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in arguments.EnumerateObject().Where(p => p.Name != name))
            {
                property.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return JsonDocument.Parse(buffer.ToArray()).RootElement;
    }
}
