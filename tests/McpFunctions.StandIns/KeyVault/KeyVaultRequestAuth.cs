namespace McpFunctions.StandIns.KeyVault;

/// <summary>The <c>Authorization</c> a request to the Key Vault stand-in carried.</summary>
public enum KeyVaultRequestAuth
{
    /// <summary>No <c>Authorization</c> header: the SDK's challenge request.</summary>
    None,

    /// <summary>A bearer token the stand-in accepts (<see cref="KeyVaultStandIn.AccessToken"/>).</summary>
    Accepted,

    /// <summary>Some other value; answered 401 with the challenge.</summary>
    Rejected,
}
