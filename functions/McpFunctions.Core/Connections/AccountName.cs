using System.Text.RegularExpressions;
using McpFunctions.Core.Errors;

namespace McpFunctions.Core.Connections;

/// <summary>Validates the account name a user gives a connection (several accounts per provider).</summary>
public static partial class AccountName
{
    /// <summary>The account name, or <see cref="ConnectionKey.DefaultAccount"/> when none is given.</summary>
    public static string Normalize(string? account)
    {
        if (account is null)
        {
            return ConnectionKey.DefaultAccount;
        }

        return IsValid(account)
            ? account
            : throw new McpFunctionsException(ErrorCode.ValidationError, "account must be 1-64 characters: letters, digits, '.', '_' or '-', and not only dots.");
    }

    /// <summary>True when <paramref name="account"/> is a valid account name as given.</summary>
    /// <remarks>Anchored with <c>\A…\z</c>: <c>$</c> would also match before a trailing newline (<c>"work\n"</c>). A name
    /// of dots only (<c>.</c>, <c>..</c>) reads as a path step wherever an account ends up in a path or a key.</remarks>
    public static bool IsValid(string account) => Pattern().IsMatch(account) && account.Trim('.').Length > 0;

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,64}\z")]
    private static partial Regex Pattern();
}
