namespace McpFunctions.Core.Credentials;

/// <summary>A plaintext credential. Lives only in process memory; stored only sealed.</summary>
/// <remarks>ToString is overridden so that a credential logged or put in an exception by mistake
/// prints nothing secret.</remarks>
public sealed record Credential(
    string? ApiKey = null,
    string? AccessToken = null,
    string? RefreshToken = null,
    string? TokenType = null,
    string? ClientId = null,
    string? ClientSecret = null)
{
    /// <summary>The value to present to the provider: an API key or an access token.</summary>
    public string? Secret => ApiKey ?? AccessToken;

    public override string ToString() => "Credential { *** }";
}
