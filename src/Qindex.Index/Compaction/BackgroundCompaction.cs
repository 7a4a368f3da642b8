using Qindex.Index.Store;

namespace Qindex.Index.Compaction;

/// <summary>
/// Compaction beside a writer that commits continuously (the watcher): <see cref="StartIfDue"/>,
/// called after each commit, starts one when the snapshot totals say it may be due and none is
/// running, and returns at once. The rewrite runs while batches keep committing (see
/// <see cref="IndexCompactor"/>); only its final commit waits for the store's write lock. A failure
/// is reported and the next call starts it again. Disposing cancels a running compaction and waits
/// for it: what it wrote but did not commit is removed.
/// </summary>
public sealed class BackgroundCompaction : IAsyncDisposable
{
    private readonly IcebergIndexStore _store;
    private readonly CompactionOptions _options;
    private readonly Action<CompactionResult, TimeSpan>? _completed;
    private readonly Action<Exception>? _failed;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    /// <param name="store">The index.</param>
    /// <param name="options">When compaction is due and how it writes.</param>
    /// <param name="completed">Told each finished compaction and how long it took (for logs and metrics).</param>
    /// <param name="failed">Told each failed compaction's error.</param>
    public BackgroundCompaction(IcebergIndexStore store, CompactionOptions options, Action<CompactionResult, TimeSpan>? completed = null, Action<Exception>? failed = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        _completed = completed;
        _failed = failed;
    }

    /// <summary>True while a compaction runs.</summary>
    public bool IsRunning => !_running.IsCompleted;

    /// <summary>
    /// Starts a compaction when one may be due and none is running; never waits for it. Throws
    /// <see cref="InvalidOperationException"/> when the previous run failed in a way that is not an
    /// I/O or store error (a defect): the writer stops with its message rather than carrying on.
    /// </summary>
    public void StartIfDue()
    {
        if (_running.IsFaulted)
        {
            var e = _running.Exception!.GetBaseException();
            _running = Task.CompletedTask;
            throw new InvalidOperationException($"the background compaction failed unexpectedly: {e.Message}", e);
        }

        if (IsRunning || _stop.IsCancellationRequested || !IndexCompactor.MayBeDue(_store, _options))
        {
            return;
        }

        _running = Task.Run(RunAsync);
    }

    /// <summary>Waits for the running compaction, if any, to finish.</summary>
    public Task WhenIdleAsync() => _running;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _running.ConfigureAwait(false);
        }
        catch (Exception e) when (_running.IsFaulted)
        {
            // Failed after the last StartIfDue could say so: report it, the writer is stopping anyway.
            _failed?.Invoke(e);
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var result = await IndexCompactor.CompactAsync(_store, _options, _stop.Token).ConfigureAwait(false);
            _completed?.Invoke(result, clock.Elapsed);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping: the rewrite's files were removed, nothing was committed.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexStoreException or Qindex.Iceberg.IcebergException)
        {
            _failed?.Invoke(e);
        }
    }
}
