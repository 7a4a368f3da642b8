using Polly;

namespace Qindex.Qumulo.Retry;

/// <summary>
/// The one backoff shape of the client, for requests and for the notify stream's reconnects alike:
/// Polly's exponential backoff with jitter (decorrelated), starting at
/// <see cref="QumuloConnection.InitialBackoff"/> and capped at <see cref="QumuloConnection.MaxBackoff"/>.
/// Jitter keeps many workers, or many watchers, refused at the same moment from coming back together.
/// </summary>
internal static class Backoff
{
    public const DelayBackoffType Type = DelayBackoffType.Exponential;
    public const bool Jitter = true;
}
