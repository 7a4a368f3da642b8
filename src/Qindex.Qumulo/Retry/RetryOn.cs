namespace Qindex.Qumulo.Retry;

/// <summary>Which failures a request may be sent again after.</summary>
internal enum RetryOn
{
    /// <summary>
    /// Only 429 and 503: the cluster refused the request before acting on it, so sending it again
    /// cannot act twice. For creates, renames and deletes, where a lost answer may hide a change
    /// that was made.
    /// </summary>
    Refusals,

    /// <summary>Refusals and dropped connections: for reads, and for writes whose repetition gives the same result.</summary>
    RefusalsAndDroppedConnections,
}
