using System.Text.Json.Nodes;

namespace McpFunctions.StandIns.GitHub;

/// <summary>An error the GitHub stand-in answers with GitHub's REST error body: <c>{"message","documentation_url","status"}</c>.</summary>
internal sealed class GitHubApiException : Exception
{
    public const string DocumentationUrl = "https://docs.github.com/rest";

    public GitHubApiException()
        : this(500, "Server Error")
    {
    }

    public GitHubApiException(string message)
        : this(422, message)
    {
    }

    public GitHubApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 500;
    }

    public GitHubApiException(int status, string message, JsonArray? errors = null)
        : base(message)
    {
        Status = status;
        Errors = errors;
    }

    public int Status { get; }

    public JsonArray? Errors { get; }

    public JsonObject Body()
    {
        var body = new JsonObject { ["message"] = Message };
        if (Errors is not null)
        {
            body["errors"] = Errors.DeepClone();
        }

        body["documentation_url"] = DocumentationUrl;
        body["status"] = Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return body;
    }

    public static GitHubApiException NotFound() => new(404, "Not Found");

    public static GitHubApiException BadCredentials() => new(401, "Bad credentials");

    /// <summary>GitHub's phrasing when a required body field is absent: <c>Invalid request.\n\n"title" wasn't supplied.</c></summary>
    public static GitHubApiException NotSupplied(string field) => new(422, $"Invalid request.\n\n\"{field}\" wasn't supplied.");

    public static GitHubApiException ValidationFailed(string resource, string field, string code, JsonNode? value) =>
        new(422, "Validation Failed", new JsonArray(new JsonObject { ["value"] = value?.DeepClone(), ["resource"] = resource, ["field"] = field, ["code"] = code }));
}
