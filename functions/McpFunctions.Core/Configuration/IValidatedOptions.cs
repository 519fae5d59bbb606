namespace McpFunctions.Core.Configuration;

/// <summary>A settings class that says what is wrong with its values, each problem naming its setting.</summary>
/// <remarks>The one validation every options class has: registration binds the section and refuses to start with
/// any problem (<c>AddValidatedOptions</c>), so a wrong value fails at start-up, not at the first request.</remarks>
public interface IValidatedOptions
{
    /// <summary>Every problem with these settings; empty when valid. Never echoes a secret's value.</summary>
    IReadOnlyList<string> Problems();
}
