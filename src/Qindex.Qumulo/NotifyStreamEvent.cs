namespace Qindex.Qumulo;

/// <summary>What <see cref="QumuloClient.FollowNotifyAsync"/> reports: a (re)connection, a batch of notifications, or a disconnection.</summary>
public abstract record NotifyStreamEvent;

/// <summary>
/// The watch is registered. <paramref name="Connection"/> is 0 for the first connection and counts
/// up with each reconnect: everything that happened since the previous disconnect was never sent
/// (no replay), so a consumer catches up (changes-since) on every connection after the first.
/// </summary>
public sealed record NotifyConnected(int Connection) : NotifyStreamEvent;

/// <summary>One <c>data:</c> message's notifications, paths made absolute.</summary>
public sealed record NotifyBatch(IReadOnlyList<Notification> Notifications) : NotifyStreamEvent;

/// <summary>The stream was lost (<paramref name="Reason"/>); a reconnect follows at once, then with backoff.</summary>
public sealed record NotifyDisconnected(string Reason) : NotifyStreamEvent;
