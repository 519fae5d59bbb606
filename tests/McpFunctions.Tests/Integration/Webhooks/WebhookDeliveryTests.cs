using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpFunctions.Adapters.Cosmos;
using McpFunctions.Adapters.Webhooks;
using McpFunctions.Core.Events;
using McpFunctions.Core.Jobs;
using McpFunctions.Http.Json;
using McpFunctions.Tests.Fixtures;
using McpFunctions.Tests.Integration.Mcp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpFunctions.Tests.Integration.Webhooks;

/// <summary>Connection-event webhooks end to end: the real host and Cosmos outbox, a real HTTP receiver on loopback.</summary>
/// <remarks>The host's clock is the system clock, so "later" is made by moving an event's <c>nextAttemptAt</c> into
/// the past in the store, then running the job.</remarks>
public sealed partial class WebhookDeliveryTests
{
    /// <summary>Keeps any scheduler that honours WEBHOOK_SCHEDULE from running the job behind the tests' backs.</summary>
    private const string NotDuringTests = "0 0 0 1 1 *";

    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private readonly string secret = "whsec-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    [Fact]
    public async Task ConnectApiKey_DeliversCreatedEvent_WithIdsAndReason_AndNoSecretAnywhere()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartHostAsync(receiver);
        var user = "user-" + Guid.NewGuid().ToString("N");
        var apiKey = host.Notion.AddIntegration("Acme");

        using var connect = await host.SendAsync(
            HttpMethod.Post, "/api/mcp/notion/connect", TestTokens.For(user, "acme"),
            new StringContent($$"""{"api_key":"{{apiKey}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, connect.StatusCode);
        var delivery = Assert.Single(await receiver.WaitForAsync(1));
        await PromptIdleAsync(host);

        Assert.Equal("POST", delivery.Method);
        Assert.Equal(WebhookReceiver.Path + "?source=mcpfunctions", delivery.PathAndQuery);
        Assert.StartsWith("application/json", delivery.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("connection.created", delivery.Header("X-McpFunctions-Event"));
        using var body = JsonDocument.Parse(delivery.Body);
        var root = body.RootElement;
        Assert.Equal(
            ["account", "id", "occurred_at", "provider", "reason", "tenant_id", "type", "user_id"],
            root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(delivery.Header("X-McpFunctions-Delivery"), root.GetProperty("id").GetString());
        Assert.Equal("connection.created", root.GetProperty("type").GetString());
        Assert.Equal("acme", root.GetProperty("tenant_id").GetString());
        Assert.Equal(user, root.GetProperty("user_id").GetString());
        Assert.Equal("notion", root.GetProperty("provider").GetString());
        Assert.Equal("default", root.GetProperty("account").GetString());
        Assert.Equal("api_key", root.GetProperty("reason").GetString());
        Assert.True(root.GetProperty("occurred_at").TryGetDateTimeOffset(out _));
        Assert.True(WebhookVerifier.Verify(secret, delivery.Header(WebhookSignature.Header), delivery.Body, Tolerance, DateTimeOffset.UtcNow));

        var stored = await ReadAsync(host, root.GetProperty("id").GetString()!);
        Assert.Equal(WebhookStates.Delivered, stored.State);
        Assert.Equal(1, stored.Attempts);
        Assert.Null(stored.LastError);
        Assert.Equal((int)TimeSpan.FromDays(7).TotalSeconds, stored.TimeToLive);

        foreach (var (name, value) in new[] { ("API key", apiKey), ("HMAC secret", secret) })
        {
            Assert.False(delivery.BodyText.Contains(value, StringComparison.Ordinal), $"The {name} is in the body.");
            Assert.False(delivery.AllHeaders.Contains(value, StringComparison.Ordinal), $"The {name} is in a header.");
            Assert.False(host.Logs.All.Contains(value, StringComparison.Ordinal), $"The {name} is in the logs.");
        }
    }

    [Fact]
    public async Task Signature_VerifiesWithTheDocumentedAlgorithm_InCSharpAndNode_AndNotWithAnotherSecret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartHostAsync(receiver);
        var published = NewEvent(ConnectionEventTypes.NeedsReauth, reason: "invalid_grant");

        await Events(host).PublishAsync(published, CancellationToken.None);
        var delivery = Assert.Single(await receiver.WaitForAsync(1));

        var header = delivery.Header(WebhookSignature.Header);
        Assert.Matches(SignatureShape(), header);
        Assert.Equal(published.Id, delivery.Header("X-McpFunctions-Delivery"));
        Assert.Equal("connection.needs_reauth", delivery.Header("X-McpFunctions-Event"));
        Assert.Equal("invalid_grant", JsonDocument.Parse(delivery.Body).RootElement.GetProperty("reason").GetString());
        Assert.True(WebhookVerifier.Verify(secret, header, delivery.Body, Tolerance, DateTimeOffset.UtcNow));
        Assert.False(WebhookVerifier.Verify("whsec-" + new string('0', 48), header, delivery.Body, Tolerance, DateTimeOffset.UtcNow));

        Assert.Equal("valid", await VerifyWithDocumentedNodeSnippetAsync(secret, header, delivery.Body));
        Assert.Equal("invalid", await VerifyWithDocumentedNodeSnippetAsync(secret + "x", header, delivery.Body));
        Assert.Equal("invalid", await VerifyWithDocumentedNodeSnippetAsync(secret, header, [.. delivery.Body, (byte)' ']));
    }

    [Fact]
    public async Task ReceiverDown_IsRetriedWithBackoff_ThenDeliveredWhenItComesUp()
    {
        await using var receiver = await WebhookReceiver.StartStoppedAsync();
        await using var host = await StartHostAsync(receiver);
        var published = NewEvent();

        await Events(host).PublishAsync(published, CancellationToken.None);
        await PromptIdleAsync(host);
        var first = await ReadAsync(host, published.Id);
        AssertRetryScheduled(first, attempts: 1);
        Assert.Equal(new WebhookError(null, "ConnectionError"), first.LastError);

        // Not yet due: a run leaves it alone.
        await Job(host).RunAsync(CancellationToken.None);
        Assert.Equal(1, (await ReadAsync(host, published.Id)).Attempts);

        await MakeDueAsync(host, published.Id);
        await Job(host).RunAsync(CancellationToken.None);
        var second = await ReadAsync(host, published.Id);
        AssertRetryScheduled(second, attempts: 2);
        Assert.Equal(new WebhookError(null, "ConnectionError"), second.LastError);

        receiver.Status = 503;
        await receiver.StartAgainAsync();
        await MakeDueAsync(host, published.Id);
        await Job(host).RunAsync(CancellationToken.None);
        var third = await ReadAsync(host, published.Id);
        AssertRetryScheduled(third, attempts: 3);
        Assert.Equal(new WebhookError(503, "ServiceUnavailable"), third.LastError);

        receiver.Status = 200;
        await MakeDueAsync(host, published.Id);
        await Job(host).RunAsync(CancellationToken.None);
        var delivered = await ReadAsync(host, published.Id);
        Assert.Equal(WebhookStates.Delivered, delivered.State);
        Assert.Equal(4, delivered.Attempts);
        Assert.Null(delivered.LastError);
        Assert.Equal([503, 200], receiver.Received.Select(r => r.AnsweredStatus));
        Assert.All(receiver.Received, r => Assert.Equal(published.Id, r.Header("X-McpFunctions-Delivery")));
        Assert.Contains(host.Logs.Lines, l => l.Contains("attempt 3 failed (503 ServiceUnavailable)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_EventStoredByOneHost_IsDeliveredByTheNextHostsJob()
    {
        var database = "test-" + Guid.NewGuid().ToString("N")[..12];
        await using var receiver = await WebhookReceiver.StartStoppedAsync();
        var published = NewEvent(ConnectionEventTypes.Deleted, reason: "user_request");
        await using (var first = await StartHostAsync(receiver, s => s["COSMOS:databaseName"] = database))
        {
            await Events(first).PublishAsync(published, CancellationToken.None);
            await PromptIdleAsync(first);
            Assert.Equal(WebhookStates.Pending, (await ReadAsync(first, published.Id)).State);
        }

        await receiver.StartAgainAsync();
        await using var second = await StartHostAsync(receiver, s => s["COSMOS:databaseName"] = database);
        try
        {
            await MakeDueAsync(second, published.Id);
            await Job(second).RunAsync(CancellationToken.None);

            var delivery = Assert.Single(receiver.Received);
            Assert.Equal(published.Id, delivery.Header("X-McpFunctions-Delivery"));
            Assert.Equal("user_request", JsonDocument.Parse(delivery.Body).RootElement.GetProperty("reason").GetString());
            var stored = await ReadAsync(second, published.Id);
            Assert.Equal(WebhookStates.Delivered, stored.State);
            Assert.Equal(2, stored.Attempts);
        }
        finally
        {
            var container = await second.Services.GetRequiredService<CosmosContainers>().WebhooksAsync(CancellationToken.None);
            await container.Database.DeleteStreamAsync();
        }
    }

    [Fact]
    public async Task TwoJobsAtOnce_OnTwoHostsOverOneStore_DeliverEveryEventExactlyOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(20);
        await using var first = await StartHostAsync(receiver);
        await using var second = await StartHostAsync(receiver, s => s["COSMOS:databaseName"] = first.DatabaseName);
        var events = Enumerable.Range(0, 24).Select(_ => NewEvent()).ToList();
        foreach (var connectionEvent in events)
        {
            // Straight into the store: no prompt attempt, so only the two jobs race for them.
            Assert.NotNull(await Store(first).TryCreateAsync(WebhookDocument.Pending(connectionEvent, DateTimeOffset.UtcNow), CancellationToken.None));
        }

        await Task.WhenAll(
            Task.Run(() => Job(first).RunAsync(CancellationToken.None)),
            Task.Run(() => Job(second).RunAsync(CancellationToken.None)));

        Assert.Equal(
            events.Select(e => e.Id).Order(StringComparer.Ordinal),
            receiver.Received.Select(r => r.Header("X-McpFunctions-Delivery")).Order(StringComparer.Ordinal));
        foreach (var connectionEvent in events)
        {
            var stored = await ReadAsync(second, connectionEvent.Id);
            Assert.Equal(WebhookStates.Delivered, stored.State);
            Assert.Equal(1, stored.Attempts);
        }
    }

    [Fact]
    public async Task Gone_StopsRetryingAtOnce_AndKeepsTheEventAsDead()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Status = 410;
        await using var host = await StartHostAsync(receiver);
        var published = NewEvent();

        await Events(host).PublishAsync(published, CancellationToken.None);
        await PromptIdleAsync(host);

        var dead = await ReadAsync(host, published.Id);
        Assert.Equal(WebhookStates.Dead, dead.State);
        Assert.Equal(1, dead.Attempts);
        Assert.Equal(new WebhookError(410, "Gone"), dead.LastError);
        Assert.Equal((int)TimeSpan.FromDays(30).TotalSeconds, dead.TimeToLive);
        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains(published.Id, StringComparison.Ordinal));

        await MakeDueAsync(host, published.Id);
        await Job(host).RunAsync(CancellationToken.None);
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task MaxAttempts_Exhausted_MarksDeadAndLogsAnError_ThenNothingMoreIsSent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Status = 500;
        await using var host = await StartHostAsync(receiver, s => s["Webhooks:MaxAttempts"] = "2");
        var published = NewEvent(ConnectionEventTypes.RefreshFailed, reason: "provider_error");

        await Events(host).PublishAsync(published, CancellationToken.None);
        await PromptIdleAsync(host);
        AssertRetryScheduled(await ReadAsync(host, published.Id), attempts: 1);
        await MakeDueAsync(host, published.Id);
        await Job(host).RunAsync(CancellationToken.None);

        var dead = await ReadAsync(host, published.Id);
        Assert.Equal(WebhookStates.Dead, dead.State);
        Assert.Equal(2, dead.Attempts);
        Assert.Equal(new WebhookError(500, "InternalServerError"), dead.LastError);
        var error = Assert.Single(host.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
        Assert.Contains(published.Id, error, StringComparison.Ordinal);
        Assert.Contains("after 2 attempts", error, StringComparison.Ordinal);

        await MakeDueAsync(host, published.Id);
        await Job(host).RunAsync(CancellationToken.None);
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task Refreshed_IsDroppedUnlessIncluded_OtherTypesAreStored()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var quiet = await StartHostAsync(receiver);
        await using var chatty = await StartHostAsync(receiver, s => s["Webhooks:IncludeRefreshed"] = "true");
        var dropped = NewEvent(ConnectionEventTypes.Refreshed);
        var kept = NewEvent(ConnectionEventTypes.Recovered);
        var included = NewEvent(ConnectionEventTypes.Refreshed);

        await Events(quiet).PublishAsync(dropped, CancellationToken.None);
        await Events(quiet).PublishAsync(kept, CancellationToken.None);
        await Events(chatty).PublishAsync(included, CancellationToken.None);
        await PromptIdleAsync(quiet);
        await PromptIdleAsync(chatty);

        Assert.Null(await Store(quiet).ReadAsync(dropped.Id, CancellationToken.None));
        Assert.Equal(WebhookStates.Delivered, (await ReadAsync(quiet, kept.Id)).State);
        Assert.Equal(WebhookStates.Delivered, (await ReadAsync(chatty, included.Id)).State);
        Assert.Equal(
            new[] { kept.Id, included.Id }.Order(StringComparer.Ordinal),
            receiver.Received.Select(r => r.Header("X-McpFunctions-Delivery")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Publish_SameEventTwice_IsStoredAndSentOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartHostAsync(receiver);
        var published = NewEvent();

        await Events(host).PublishAsync(published, CancellationToken.None);
        await Events(host).PublishAsync(published, CancellationToken.None);
        await PromptIdleAsync(host);
        await MakeDueAsync(host, published.Id);
        await Job(host).RunAsync(CancellationToken.None);

        Assert.Single(receiver.Received);
        Assert.Equal(1, (await ReadAsync(host, published.Id)).Attempts);
    }

    [Fact]
    public async Task Publish_StorageFailure_IsLoggedAndDropped_NeverThrown()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartHostAsync(receiver);
        // A real Cosmos answer that is not success: the database does not exist and is not created.
        using var missing = new CosmosContainers(
            Options.Create(new CosmosOptions
            {
                AccountEndpoint = new Uri(LocalServices.CosmosEndpoint),
                AccountKey = LocalServices.CosmosKey,
                TrustLoopbackCertificate = true,
                DatabaseName = "missing-" + Guid.NewGuid().ToString("N")[..12],
                CreateIfMissing = false,
            }),
            McpJsonContext.Default.Options);
        var outbox = new WebhookOutbox(
            new CosmosWebhookStore(missing, McpJsonContext.Default.WebhookDocument, McpJsonContext.Default.CosmosFeedPageWebhookDocument),
            host.Services.GetRequiredService<PromptDeliveries>(),
            host.Services.GetRequiredService<WebhookOptions>(),
            TimeProvider.System,
            host.Services.GetRequiredService<ILogger<WebhookOutbox>>());
        var published = NewEvent();

        await outbox.PublishAsync(published, CancellationToken.None);

        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal)
            && l.Contains($"Could not store webhook {published.Id}", StringComparison.Ordinal));
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task NoWebhookUrl_StoresNothing_AndTheJobDoesNothing()
    {
        await using var host = await TestHost.StartAsync(s => s["WEBHOOK_SCHEDULE"] = NotDuringTests);
        var user = "user-" + Guid.NewGuid().ToString("N");
        var published = NewEvent();

        Assert.IsType<DisabledConnectionEvents>(Events(host));
        using var connect = await host.SendAsync(
            HttpMethod.Post, "/api/mcp/notion/connect", TestTokens.For(user, "acme"),
            new StringContent($$"""{"api_key":"{{host.Notion.AddIntegration("Acme")}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, connect.StatusCode);
        await Events(host).PublishAsync(published, CancellationToken.None);
        await Job(host).RunAsync(CancellationToken.None);

        Assert.Null(await Store(host).ReadAsync(published.Id, CancellationToken.None));
        Assert.Empty(await Store(host).QueryDueAsync(DateTimeOffset.UtcNow.AddYears(1), 10, CancellationToken.None));
    }

    private Task<TestHost> StartHostAsync(WebhookReceiver receiver, Action<IDictionary<string, string?>>? configure = null) =>
        TestHost.StartAsync(settings =>
        {
            settings["WEBHOOK_URL"] = receiver.Url.ToString();
            settings["WEBHOOK_HMAC_SECRET"] = secret;
            settings["WEBHOOK_SCHEDULE"] = NotDuringTests;
            configure?.Invoke(settings);
        });

    private static ConnectionEvent NewEvent(string type = ConnectionEventTypes.Created, string? reason = "test") =>
        new(Guid.CreateVersion7().ToString(), type, DateTimeOffset.UtcNow, "acme", "user-" + Guid.NewGuid().ToString("N"), "notion", "default", reason);

    private static IConnectionEvents Events(TestHost host) => host.Services.GetRequiredService<IConnectionEvents>();

    private static CosmosWebhookStore Store(TestHost host) => host.Services.GetRequiredService<CosmosWebhookStore>();

    private static IScheduledJob Job(TestHost host) => host.Services.GetServices<IScheduledJob>().Single(j => j.Name == "WebhookOutbox");

    private static Task PromptIdleAsync(TestHost host) => host.Services.GetRequiredService<PromptDeliveries>().WhenIdleAsync();

    private static async Task<WebhookDocument> ReadAsync(TestHost host, string id) =>
        await Store(host).ReadAsync(id, CancellationToken.None) ?? throw new Xunit.Sdk.XunitException($"Webhook {id} is not stored.");

    /// <summary>Moves the event's next attempt into the past, as if its backoff had passed.</summary>
    private static async Task MakeDueAsync(TestHost host, string id)
    {
        var current = await ReadAsync(host, id);
        Assert.NotNull(await Store(host).TryReplaceAsync(current with { NextAttemptAt = 0 }, current.ETag!, CancellationToken.None));
    }

    /// <summary>Pending, with the next attempt no sooner than the last and no later than the backoff ceiling allows.</summary>
    private static void AssertRetryScheduled(WebhookDocument document, int attempts)
    {
        Assert.Equal(WebhookStates.Pending, document.State);
        Assert.Equal(attempts, document.Attempts);
        Assert.NotNull(document.LastAttemptAt);
        Assert.Null(document.TimeToLive);
        // The attempt itself may take up to the send timeout between the claim (lastAttemptAt) and the backoff's start.
        var latest = document.LastAttemptAt.Value + (long)WebhookBackoff.Ceiling(attempts).TotalSeconds + WebhookOptions.DefaultTimeoutSeconds + 1;
        Assert.InRange(document.NextAttemptAt, document.LastAttemptAt.Value, latest);
    }

    /// <summary>Runs the Node verification snippet of docs/webhooks.md (its first <c>js</c> block) on one delivery.</summary>
    private static async Task<string> VerifyWithDocumentedNodeSnippetAsync(string secret, string header, byte[] body)
    {
        var docs = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "webhooks.md"));
        var snippet = NodeBlock().Match(docs);
        Assert.True(snippet.Success, "docs/webhooks.md has no ```js block.");
        var script = Path.Combine(Path.GetTempPath(), $"verify-webhook-{Guid.NewGuid():N}.mjs");
        await File.WriteAllTextAsync(script, snippet.Groups["code"].Value + """

            const [secret, header, bodyBase64] = process.argv.slice(2);
            console.log(verifyWebhook(secret, header, Buffer.from(bodyBase64, "base64")) ? "valid" : "invalid");
            """);
        try
        {
            var run = await NodeScript.RunAsync(script, [secret, header, Convert.ToBase64String(body)]);
            Assert.True(run.ExitCode == 0, run.Describe());
            return run.Stdout.Trim();
        }
        finally
        {
            File.Delete(script);
        }
    }

    [GeneratedRegex("^t=[0-9]+,v1=[0-9a-f]{64}$")]
    private static partial Regex SignatureShape();

    [GeneratedRegex("```js\\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex NodeBlock();
}
