namespace McpFunctions.Http.Endpoints;

/// <summary>What makes a request body's JSON text unacceptable before any parser reads it (<see cref="RequestBody.Inspect"/>).</summary>
public enum JsonTextDefect
{
    None,

    /// <summary>Not JSON, or nested deeper than allowed.</summary>
    Malformed,

    /// <summary>Invalid UTF-8 bytes, or an escape that decodes to a lone UTF-16 surrogate: text no string can hold.</summary>
    InvalidText,

    /// <summary>One object names a member twice: parsers disagree on which one wins, so we take neither.</summary>
    DuplicateMember,
}
