using System.Globalization;
using System.Text;
using McpFunctions.Core.Security;

namespace McpFunctions.Adapters.Webhooks;

/// <summary>Where and how connection events are delivered (<c>WEBHOOK_URL</c>, <c>WEBHOOK_HMAC_SECRET</c>, <c>Webhooks__*</c>).</summary>
/// <remarks>A class, not a record: a record's generated <c>ToString</c> would print the secret.</remarks>
public sealed class WebhookOptions
{
    public const string UrlSetting = "WEBHOOK_URL";
    public const string SecretSetting = "WEBHOOK_HMAC_SECRET";
    public const string MaxAttemptsSetting = "Webhooks__MaxAttempts";
    public const string TimeoutSecondsSetting = "Webhooks__TimeoutSeconds";
    public const string IncludeRefreshedSetting = "Webhooks__IncludeRefreshed";

    /// <summary>HMAC-SHA256 keys shorter than its block are legal but guessable; 32 bytes is the floor we accept.</summary>
    public const int MinSecretBytes = 32;

    public const int DefaultMaxAttempts = 20;
    public const int DefaultTimeoutSeconds = 10;

    private readonly byte[] secret;

    private WebhookOptions(Uri? url, byte[] secret, int maxAttempts, int timeoutSeconds, bool includeRefreshed)
    {
        Url = url;
        this.secret = secret;
        MaxAttempts = maxAttempts;
        TimeoutSeconds = timeoutSeconds;
        IncludeRefreshed = includeRefreshed;
    }

    /// <summary>No <c>WEBHOOK_URL</c>: events are not stored and the delivery job does nothing.</summary>
    public static WebhookOptions Disabled { get; } = new(null, [], DefaultMaxAttempts, DefaultTimeoutSeconds, includeRefreshed: false);

    /// <summary>The receiver; null when webhooks are off.</summary>
    public Uri? Url { get; }

    public bool Enabled => Url is not null;

    /// <summary>Attempts per event (the first included) before it is marked dead.</summary>
    public int MaxAttempts { get; }

    /// <summary>Per-attempt limit for connecting, sending and receiving the response headers.</summary>
    public int TimeoutSeconds { get; }

    /// <summary><c>connection.refreshed</c> happens on every token refresh; it is dropped unless asked for.</summary>
    public bool IncludeRefreshed { get; }

    /// <summary>The UTF-8 bytes of <c>WEBHOOK_HMAC_SECRET</c>, the HMAC key.</summary>
    public ReadOnlySpan<byte> Secret => secret;

    /// <summary>Reads and validates the settings; a bad one throws naming it, never echoing the secret.</summary>
    /// <param name="setting">Looks a setting up by its flat name (e.g. <c>Webhooks__MaxAttempts</c>).</param>
    public static WebhookOptions Parse(Func<string, string?> setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var maxAttempts = ParseInt(setting(MaxAttemptsSetting), MaxAttemptsSetting, DefaultMaxAttempts, 1, 100);
        var timeoutSeconds = ParseInt(setting(TimeoutSecondsSetting), TimeoutSecondsSetting, DefaultTimeoutSeconds, 1, 60);
        var includeRefreshed = setting(IncludeRefreshedSetting) switch
        {
            null or "" => false,
            var text when bool.TryParse(text, out var value) => value,
            _ => throw Invalid($"{IncludeRefreshedSetting} must be true or false."),
        };

        if (setting(UrlSetting) is not { Length: > 0 } urlText)
        {
            return Disabled;
        }

        // The URL is not echoed: receivers sometimes carry a token in the query string.
        if (!SecureUrl.TryParse(urlText, out var url) || !string.IsNullOrEmpty(url.UserInfo))
        {
            throw Invalid($"{UrlSetting} must be an absolute https URL without user info (http only on loopback).");
        }

        var secretText = setting(SecretSetting);
        if (string.IsNullOrEmpty(secretText) || Encoding.UTF8.GetByteCount(secretText) < MinSecretBytes)
        {
            throw Invalid(
                $"{SecretSetting} is required when {UrlSetting} is set and must be at least {MinSecretBytes} bytes (e.g. `openssl rand -hex 32`).");
        }

        return new WebhookOptions(url, Encoding.UTF8.GetBytes(secretText), maxAttempts, timeoutSeconds, includeRefreshed);
    }

    private static int ParseInt(string? text, string name, int fallback, int min, int max)
    {
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Invalid($"{name} must be a whole number from {min} to {max}.");
    }

    private static InvalidOperationException Invalid(string problem) => new("Invalid configuration: " + problem);
}
