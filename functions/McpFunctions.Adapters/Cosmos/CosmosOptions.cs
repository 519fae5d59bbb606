using McpFunctions.Core.Configuration;
using McpFunctions.Core.Security;

namespace McpFunctions.Adapters.Cosmos;

/// <summary>Settings of section <c>COSMOS</c> (environment <c>COSMOS__accountEndpoint</c>, ...).</summary>
/// <remarks>Without <see cref="AccountKey"/> the client authenticates with Entra ID
/// (DefaultAzureCredential, user-assigned identity from <see cref="ClientId"/> or AZURE_CLIENT_ID), as in Azure.</remarks>
public sealed class CosmosOptions : IValidatedOptions
{
    public const string Section = "COSMOS";

    public Uri? AccountEndpoint { get; set; }

    /// <summary>Account key, for local servers only; Azure deployments use managed identity and no key.</summary>
    public string? AccountKey { get; set; }

    public string? ClientId { get; set; }

    public string DatabaseName { get; set; } = "mcpfunctions";

    /// <summary>Create the database and containers at startup. Off in Azure, where Bicep creates them
    /// and the data-plane role cannot.</summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>Accept the self-signed certificate of a local server; honoured only for loopback endpoints.</summary>
    public bool TrustLoopbackCertificate { get; set; }

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (AccountEndpoint is null)
        {
            problems.Add($"{Section}__accountEndpoint is required (the Cosmos DB account endpoint URL).");
        }
        else if (!SecureUrl.IsAllowed(AccountEndpoint))
        {
            problems.Add($"{Section}__accountEndpoint must be an absolute https URL (http only on loopback).");
        }

        if (string.IsNullOrWhiteSpace(DatabaseName))
        {
            problems.Add($"{Section}__databaseName must not be empty.");
        }

        return problems;
    }
}
