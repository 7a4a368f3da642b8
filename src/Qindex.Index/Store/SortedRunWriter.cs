using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// The buffering half of a replacing write: collects records into runs of at most
/// <see cref="RunRows"/>, sorts each run by path and writes it as one data file, so memory is
/// bounded by two runs (one filling while the previous one is written) whatever the total; at the
/// end a k-way merge turns the runs into files sorted within and disjoint across. The two runs
/// are held column by column and reused (<see cref="RunBuffer"/>).
/// Files written are deleted again unless <see cref="MarkCommitted"/> is called.
/// </summary>
public sealed class SortedRunWriter : IAsyncDisposable
{
    private readonly string _directory;
    private readonly List<IndexDataFile> _files = [];
    private readonly List<IndexDataFile> _runFiles = [];

    // Whether a run was written in a sort's own small row groups, to be merged, not published.
    private bool _scratchRuns;
    // The run filling (made on the first row), the run being written, and the run written last,
    // kept for the next one: two buffers in all. They are let go before the final merge.
    private RunBuffer? _run;
    private RunBuffer? _writing;
    private RunBuffer? _spare;
    private Task? _pendingWrite;
    private bool _committed;
    private int _sequence;

    /// <param name="directory">Where data files go (created if missing).</param>
    /// <param name="runRows">Rows per sorted run and data file.</param>
    /// <param name="filePrefix">Prefix of each file name, unique per write (for example a UUID).</param>
    public SortedRunWriter(string directory, int runRows, string filePrefix)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runRows, 1);
        _directory = directory;
        RunRows = runRows;
        FilePrefix = filePrefix;
        Directory.CreateDirectory(directory);
    }

    /// <summary>Rows per sorted run.</summary>
    public int RunRows { get; }

    /// <summary>Prefix of every file name this writer creates.</summary>
    public string FilePrefix { get; }

    /// <summary>Rows added so far.</summary>
    public long RowsAdded { get; private set; }

    /// <summary>Adds one record; when the run is full, it is sorted and written in the background.</summary>
    public async ValueTask AddAsync(FileRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_committed, this);
        _run ??= TakeSpare();
        _run.Add(record);
        RowsAdded++;
        if (_run.Count >= RunRows)
        {
            await FlushRunAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes what is buffered and waits for every file; returns all files written.</summary>
    public async Task<IReadOnlyList<IndexDataFile>> CompleteAsync(CancellationToken cancellationToken)
    {
        await FlushRunAsync(cancellationToken, last: true).ConfigureAwait(false);
        if (_pendingWrite is not null)
        {
            await _pendingWrite.ConfigureAwait(false);
            _pendingWrite = null;
        }

        _run = _writing = _spare = null;
        if (_runFiles.Count > 1 || _scratchRuns)
        {
            // Runs are sorted each, but their path ranges interleave: merge them so the live data
            // files are sorted and disjoint, and bounds pick the one file that can hold a path.
            // One full run written in small row groups (exactly a run's rows) is rewritten alike.
            var runs = _runFiles.ToList();
            var merged = await SortedMerge.MergeAsync(runs.Select(r => new MergeInput(r.Path)).ToList(), RunRows, NewDataFilePath, NewDataFilePath, null, cancellationToken).ConfigureAwait(false);
            lock (_files)
            {
                _files.RemoveAll(runs.Contains);
                _files.AddRange(merged);
            }

            _runFiles.Clear();
            foreach (var run in runs)
            {
                File.Delete(run.Path);
            }
        }

        return _files;
    }

    /// <summary>
    /// A path for a data file written by someone else (a bulk import); it carries this writer's
    /// prefix, so an abandoned write removes it too.
    /// </summary>
    public string NewDataFilePath() => Path.Combine(_directory, $"{FilePrefix}-{Interlocked.Increment(ref _sequence) - 1:D5}.parquet");

    /// <summary>Registers a data file that was written at <see cref="NewDataFilePath"/> (sorted or not, as it says).</summary>
    public void AddDataFile(IndexDataFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        // Bulk imports register files from several tasks at once.
        lock (_files)
        {
            _files.Add(file);
            RowsAdded += file.RecordCount;
        }
    }

    /// <summary>The files now belong to a committed snapshot; disposing keeps them.</summary>
    public void MarkCommitted() => _committed = true;

    private RunBuffer TakeSpare()
    {
        var run = _spare ?? new RunBuffer(RunRows);
        _spare = null;
        run.Clear();
        return run;
    }

    /// <param name="cancellationToken">Stops the write.</param>
    /// <param name="last">
    /// No row follows: a run that is the only one is written as the data file it will be (a
    /// published file's row groups); any other is written for the merge, in small row groups.
    /// </param>
    private async Task FlushRunAsync(CancellationToken cancellationToken, bool last = false)
    {
        if (_pendingWrite is not null)
        {
            // Bounds memory to two runs and surfaces a failed write before accepting more rows.
            await _pendingWrite.ConfigureAwait(false);
            _pendingWrite = null;
            _spare = _writing;
            _writing = null;
        }

        if (_run is not { Count: > 0 } run)
        {
            return;
        }

        _run = null;
        _writing = run;
        bool only = last && _runFiles.Count == 0;
        _scratchRuns |= !only;
        int rowGroupRows = only ? IndexDataFileWriter.RowGroupRows : IndexDataFileWriter.ScratchRowGroupRows;
        var path = NewDataFilePath();
        _pendingWrite = Task.Run(
            () =>
            {
                var file = run.WriteSorted(path, rowGroupRows, cancellationToken);
                lock (_files)
                {
                    _files.Add(file);
                    _runFiles.Add(file);
                }
            },
            cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_pendingWrite is not null)
        {
            try
            {
                await _pendingWrite.ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ParquetSharp.ParquetException)
            {
                // The write is being abandoned; its partial file is removed below.
            }
        }

        if (!_committed)
        {
            foreach (var file in Directory.EnumerateFiles(_directory, FilePrefix + "-*.parquet"))
            {
                File.Delete(file);
            }
        }
    }
}
