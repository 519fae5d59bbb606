using McpFunctions.Core.Configuration;

namespace McpFunctions.Http.Admin;

/// <summary>Setting <c>Auth:AdminRole</c> (environment <c>Auth__AdminRole</c>): the role or scope an operator's token must carry.</summary>
/// <remarks>Checked against the token's <c>roles</c>, <c>scp</c> and <c>scope</c> claims, so it works with an Entra ID app
/// role assigned to operators or with a delegated scope.</remarks>
public sealed class AdminOptions : IValidatedOptions
{
    public const string Section = "Auth";
    public const string DefaultRole = "McpFunctions.Admin";

    public string AdminRole { get; set; } = DefaultRole;

    public IReadOnlyList<string> Problems() =>
        string.IsNullOrWhiteSpace(AdminRole) || AdminRole.Trim() != AdminRole || AdminRole.Contains(' ', StringComparison.Ordinal)
            ? ["Auth:AdminRole must be one role or scope name, without spaces."]
            : [];
}
