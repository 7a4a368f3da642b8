using System.Net;

namespace Qindex.Qumulo;

/// <summary>
/// An error answer from the cluster, with its HTTP status and, when the body is Qumulo's error
/// object, its <c>module</c>, <c>error_class</c> and <c>description</c>.
/// </summary>
public sealed class QumuloApiException : Exception
{
    public QumuloApiException(HttpStatusCode status, string method, string requestPath, string? errorClass, string? description)
        : this(status, method, requestPath, errorClass, description, null, null)
    {
    }

    /// <summary>An error answer; <paramref name="hint"/> says what it means for the user, <paramref name="retried"/> how long it was retried.</summary>
    public QumuloApiException(HttpStatusCode status, string method, string requestPath, string? errorClass, string? description, string? hint, string? retried)
        : base(Describe(status, method, requestPath, errorClass, description, hint, retried))
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

    private static string Describe(HttpStatusCode status, string method, string requestPath, string? errorClass, string? description, string? hint, string? retried)
    {
        var text = $"{method} {requestPath}: HTTP {(int)status} {errorClass ?? status.ToString()}: {description ?? "no description"}";
        if (hint is not null)
        {
            text = $"{hint} ({text})";
        }

        return retried is null ? text : $"{text}; {retried}";
    }
}
