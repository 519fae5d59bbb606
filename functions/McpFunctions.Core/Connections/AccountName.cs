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

        return Pattern().IsMatch(account)
            ? account
            : throw new McpFunctionsException(ErrorCode.ValidationError, "account must be 1-64 characters: letters, digits, '.', '_' or '-'.");
    }

    /// <summary>True when <paramref name="account"/> is a valid account name as given.</summary>
    public static bool IsValid(string account) => Pattern().IsMatch(account);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex Pattern();
}
