namespace McpFunctions.Core.Errors;

/// <summary>A failure with a stable code and a message safe to show a user (never a secret).</summary>
public sealed class McpFunctionsException : Exception
{
    public McpFunctionsException(ErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public McpFunctionsException(ErrorCode code, string message, int providerStatus)
        : base(message)
    {
        Code = code;
        ProviderStatus = providerStatus;
    }

    public McpFunctionsException()
        : this(ErrorCode.InternalError, "Internal error.")
    {
    }

    public McpFunctionsException(string message)
        : this(ErrorCode.InternalError, message)
    {
    }

    public McpFunctionsException(string message, Exception innerException)
        : this(ErrorCode.InternalError, message, innerException)
    {
    }

    public ErrorCode Code { get; }

    /// <summary>The provider's HTTP status, when the failure came from a provider.</summary>
    public int? ProviderStatus { get; }
}
