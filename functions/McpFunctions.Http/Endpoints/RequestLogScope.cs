using System.Collections;
using McpFunctions.Core.Connections;
using Microsoft.AspNetCore.Http;

namespace McpFunctions.Http.Endpoints;

/// <summary>The fields every log line of one request carries: tenant, user, provider, account and operation, plus the
/// tool of a <c>tools/call</c>.</summary>
/// <remarks>One scope, filled in as the request reveals its provider and account (a connect names its account in the
/// body, a tool call its provider through the tool's name), rather than a second scope pushed later: lines logged
/// before that scope began, or after it ended on the way out of a failure, would lack the fields, and log sinks that
/// flatten scopes would see each key twice. Loggers read the fields when a line is written, so later values show.</remarks>
public sealed class RequestLogScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    /// <summary>Logged instead of an account name that is not one: the text came from the caller and may be anything.</summary>
    public const string InvalidAccount = "(invalid)";

    public RequestLogScope(Caller caller, string operation, string? provider = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        TenantId = caller.TenantId;
        UserId = caller.UserId;
        Operation = operation;
        Provider = provider;
    }

    public string TenantId { get; }

    public string UserId { get; }

    public string Operation { get; }

    public string? Provider { get; set; }

    /// <summary>The account the request names (<c>default</c> when it names none); null where no account applies.</summary>
    public string? Account { get; private set; }

    public string? Tool { get; set; }

    /// <summary>The caller's W3C trace id (2026-07-28 <c>_meta.traceparent</c>), so our lines join the caller's trace.</summary>
    public string? TraceId { get; init; }

    public int Count => Fields().Length;

    public KeyValuePair<string, object?> this[int index] => Fields()[index];

    /// <summary>The scope <see cref="ApiEndpoint.RunAsync"/> began for this request, for handlers that learn more.</summary>
    public static RequestLogScope? Of(HttpContext http) => http.Features.Get<RequestLogScope>();

    /// <summary>Records the account the request names; null stands for the default account.</summary>
    public void NameAccount(string? account) =>
        Account = account is null ? ConnectionKey.DefaultAccount : AccountName.IsValid(account) ? account : InvalidAccount;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)Fields()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join(", ", Fields().Select(f => $"{f.Key}:{f.Value}"));

    private KeyValuePair<string, object?>[] Fields()
    {
        KeyValuePair<string, object?>[] fields =
        [
            new("TenantId", TenantId),
            new("UserId", UserId),
            new("Provider", Provider),
            new("Account", Account),
            new("Operation", Operation),
        ];
        if (Tool is not null)
        {
            fields = [.. fields, new("Tool", Tool)];
        }

        return TraceId is null ? fields : [.. fields, new("TraceId", TraceId)];
    }
}
