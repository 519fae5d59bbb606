using System.Text.Json.Nodes;

namespace McpFunctions.StandIns.Notion;

/// <summary>An error the stand-in answers with Notion's error body: <c>{"object":"error","status":…,"code":…,"message":…}</c>.</summary>
internal sealed class NotionApiException : Exception
{
    public NotionApiException()
        : this(500, "internal_server_error", "Unexpected error occurred.")
    {
    }

    public NotionApiException(string message)
        : this(400, "validation_error", message)
    {
    }

    public NotionApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 500;
        Code = "internal_server_error";
    }

    public NotionApiException(int status, string code, string message)
        : base(message)
    {
        Status = status;
        Code = code;
    }

    public int Status { get; }

    public string Code { get; }

    public static NotionApiException Validation(string message) => new(400, "validation_error", message);

    /// <summary>Notion's phrasing: <c>body failed validation: body.x should be …, instead was `…`.</c></summary>
    public static NotionApiException Expected(string path, string expectation, JsonNode? actual, bool present = true)
    {
        var where = path.Split('.', '[')[0];
        if (!present)
        {
            return Validation($"{where} failed validation: {path} should be defined, instead was `undefined`.");
        }

        return Validation($"{where} failed validation: {path} should be {expectation}, instead was `{NotionJson.Serialize(actual)}`.");
    }

    public static NotionApiException Missing(string path) => Expected(path, "defined", null, present: false);

    public static NotionApiException NotFound(string kind, Guid id) =>
        new(404, "object_not_found",
            $"Could not find {kind} with ID: {NotionJson.Id(id)}. Make sure the relevant pages and databases are shared with your integration.");

    public static NotionApiException InvalidUrl() => new(400, "invalid_request_url", "Invalid request URL.");

    public static NotionApiException ArchivedEdit() =>
        Validation("Can't edit block that is archived. You must unarchive the block before editing.");
}
