using System.ComponentModel.DataAnnotations;

namespace McpFunctions.Adapters.Cosmos;

/// <summary>Settings of section <c>COSMOS</c> (environment <c>COSMOS__accountEndpoint</c>, ...).</summary>
/// <remarks>Without <see cref="AccountKey"/> the client authenticates with Entra ID
/// (DefaultAzureCredential, user-assigned identity from <see cref="ClientId"/> or AZURE_CLIENT_ID), as in Azure.</remarks>
public sealed class CosmosOptions
{
    public const string Section = "COSMOS";

    [Required]
    public Uri? AccountEndpoint { get; set; }

    /// <summary>Account key, for local servers only; Azure deployments use managed identity and no key.</summary>
    public string? AccountKey { get; set; }

    public string? ClientId { get; set; }

    [Required]
    public string DatabaseName { get; set; } = "mcpfunctions";

    /// <summary>Create the database and containers at startup. Off in Azure, where Bicep creates them
    /// and the data-plane role cannot.</summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>Accept the self-signed certificate of a local server; honoured only for loopback endpoints.</summary>
    public bool TrustLoopbackCertificate { get; set; }
}
