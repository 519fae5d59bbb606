using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace McpFunctions.StandIns.Qlik;

/// <summary>An error the Qlik stand-in answers with Qlik Cloud's error body: <c>{"errors":[{"title","code","status","detail"}],"traceId"}</c>.</summary>
internal sealed class QlikApiException : Exception
{
    public QlikApiException()
        : this(500, "HTTP-500", "Internal Server Error")
    {
    }

    public QlikApiException(string message)
        : this(400, "HTTP-400", "Bad Request", message)
    {
    }

    public QlikApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 500;
        Code = "HTTP-500";
        Title = "Internal Server Error";
    }

    public QlikApiException(int status, string code, string title, string? detail = null)
        : base(detail ?? title)
    {
        Status = status;
        Code = code;
        Title = title;
        Detail = detail;
    }

    public int Status { get; }

    public string Code { get; }

    public string Title { get; }

    public string? Detail { get; }

    public JsonObject Body() => ErrorBody(Status, Code, Title, Detail);

    public static JsonObject ErrorBody(int status, string code, string title, string? detail = null)
    {
        var error = new JsonObject { ["title"] = title, ["code"] = code };
        if (detail is not null)
        {
            error["detail"] = detail;
        }

        error["status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new JsonObject { ["errors"] = new JsonArray(error), ["traceId"] = RandomNumberGenerator.GetHexString(32, lowercase: true) };
    }

    public static QlikApiException BadRequest(string detail) => new(400, "HTTP-400", "Bad Request", detail);

    public static QlikApiException NotFound(string detail) => new(404, "HTTP-404", "Not Found", detail);
}
