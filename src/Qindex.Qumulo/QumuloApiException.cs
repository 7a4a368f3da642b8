using System.Net;

namespace Qindex.Qumulo;

/// <summary>
/// An error answer from the cluster, with its HTTP status and, when the body is Qumulo's error
/// object, its <c>module</c>, <c>error_class</c> and <c>description</c>.
/// </summary>
public sealed class QumuloApiException : Exception
{
    public QumuloApiException(HttpStatusCode status, string method, string requestPath, string? errorClass, string? description)
        : base(Describe(status, method, requestPath, errorClass, description))
    {
        Status = status;
        ErrorClass = errorClass;
        Description = description;
    }

    public QumuloApiException()
    {
    }

    public QumuloApiException(string message)
        : base(message)
    {
    }

    public QumuloApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode Status { get; }
    public string? ErrorClass { get; }
    public string? Description { get; }

    private static string Describe(HttpStatusCode status, string method, string requestPath, string? errorClass, string? description)
    {
        var hint = status switch
        {
            HttpStatusCode.Unauthorized => " (the token is invalid or expired and no password is at hand to log in again)",
            HttpStatusCode.Forbidden => " (the user lacks a privilege this call needs; recursive notify needs DATA_ADMINISTRATOR-level rights)",
            _ => string.Empty,
        };
        return $"{method} {requestPath}: HTTP {(int)status} {errorClass ?? status.ToString()}: {description ?? "no description"}{hint}";
    }
}
