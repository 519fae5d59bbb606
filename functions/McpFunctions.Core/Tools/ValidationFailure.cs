namespace McpFunctions.Core.Tools;

/// <summary>Why a tool's arguments do not match its input schema, in words a model can act on.</summary>
/// <param name="Field">The failing argument as a path (<c>parent.page_id</c>, <c>children[2].type</c>); empty for the arguments as a whole.</param>
/// <param name="SchemaPath">The schema keyword that failed (<c>properties.page_size.maximum</c>).</param>
/// <param name="Message">The full message, e.g. <c>page_size: must be at most 100</c>.</param>
public sealed record ValidationFailure(string Field, string SchemaPath, string Message)
{
    public override string ToString() => Message;
}
