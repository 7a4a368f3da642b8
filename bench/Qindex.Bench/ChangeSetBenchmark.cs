using System.Collections;
using System.Diagnostics;
using System.Globalization;
using Qindex.Iceberg.Parquet;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;
using Qindex.Index.Compaction;
using Qindex.Index.Import;
using Qindex.Index.Query;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Bench;

/// <summary>
/// Row-level change sets on the Iceberg store at a stated table size, each beside the per-change
/// copy-on-write baseline: a batch of scattered changes (60% updates, 20% inserts, 20% deletes),
/// renaming a directory of 100,000 entries, and a long churn in batches with compaction running.
/// The table is written synthetically (Parquet directly, sorted, one directory per 100,000 files).
/// </summary>
internal sealed class ChangeSetBenchmark : IBenchmark
{
    private const int FilesPerDirectory = 100_000;

    public string Name => "changes";

    public string Description => "change sets: --rows N (default 1000000) --scenarios cow,scattered,rename,churn --batch 10000 --churn-batches 100 --cow-changes 30 --threshold 16 --renames 0 [--keep: leave the table in place for later queries]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        long rows = long.Parse(ImportDataset.Arg(args, "--rows", "1000000"), CultureInfo.InvariantCulture);
        var scenarios = ImportDataset.Arg(args, "--scenarios", "scattered,rename,cow,churn").Split(',');
        int batch = int.Parse(ImportDataset.Arg(args, "--batch", "10000"), CultureInfo.InvariantCulture);
        int churnBatches = int.Parse(ImportDataset.Arg(args, "--churn-batches", "100"), CultureInfo.InvariantCulture);
        int cowChanges = int.Parse(ImportDataset.Arg(args, "--cow-changes", "30"), CultureInfo.InvariantCulture);
        int threshold = int.Parse(ImportDataset.Arg(args, "--threshold", "16"), CultureInfo.InvariantCulture);
        int renames = int.Parse(ImportDataset.Arg(args, "--renames", "0"), CultureInfo.InvariantCulture);
        string root = ImportDataset.Arg(args, "--dir", ImportDataset.DefaultRoot);
        bool keep = args.Contains("--keep");
        string dir = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"changes-{rows}"));
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- changes {string.Join(' ', args)}`");
        Console.WriteLine();
        var table = new List<string>();
        var build = Stopwatch.StartNew();
        var state = new Workload(rows, seed: 42);
        await using (var store = await IcebergIndexStore.OpenAsync(new IndexLocation(dir), cancellationToken))
        {
            await WriteSyntheticAsync(store, state, cancellationToken);
        }

        build.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Table: {state.OriginalRows:N0} rows written synthetically in {build.Elapsed.TotalSeconds:F0} s. Machine: {Environment.ProcessorCount} cores (shared)."));
        Console.WriteLine();
        Console.WriteLine("| scenario | rows | changes | seconds | changes/s | notes |");
        Console.WriteLine("|---|---:|---:|---:|---:|---|");

        await using var index = await IcebergIndexStore.OpenAsync(new IndexLocation(dir), cancellationToken);
        if (scenarios.Contains("cow"))
        {
            var (n, seconds) = await CopyOnWriteAsync(index, state, cowChanges, cancellationToken);
            Row("baseline: one copy-on-write commit per change", rows, n, seconds, "rewrites the data file holding each changed row (the users' prototype)");
        }

        var open = Stopwatch.StartNew();
        await using (var warm = index.BeginChanges())
        {
            warm.Upsert(state.Updated(state.PickLive()));
            await warm.CommitAsync(null, new Dictionary<string, string>(), cancellationToken);
        }

        open.Stop();
        Row("key index build (first change set after open)", rows, 1, open.Elapsed.TotalSeconds, $"reads every live path once; peak RSS so far {CrawlBenchmark.PeakRssMb():N0} MB");

        if (scenarios.Contains("scattered"))
        {
            // Five batches, one after another: the median says what a batch costs on a shared machine.
            var times = new List<double>();
            var phases = new List<ChangeSetTimings>();
            int n = 0;
            for (int i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                n = await ApplyBatchAsync(index, state, batch, cancellationToken);
                times.Add(sw.Elapsed.TotalSeconds);
                phases.Add(index.LastChangeTimings!);
            }

            times.Sort();
            Row("scattered batch, one change set (median of 5)", rows, n, times[2], string.Create(CultureInfo.InvariantCulture, $"60% updates, 20% inserts, 20% deletes, one RowDelta commit each; fastest {times[0]:F2} s, slowest {times[4]:F2} s; median phases: resolve {Median(p => p.Resolve):F3} s, prepare {Median(p => p.Prepare):F3} s, write files {Median(p => p.WriteFiles):F3} s, commit {Median(p => p.Commit):F3} s, apply {Median(p => p.Apply):F3} s"));

            double Median(Func<ChangeSetTimings, double> pick) => phases.Select(pick).Order().ElementAt(phases.Count / 2);
        }

        if (scenarios.Contains("rename"))
        {
            string from = Workload.DirectoryPath(state.Directories / 2);
            var sw = Stopwatch.StartNew();
            IndexCommitResult result;
            await using (var changes = index.BeginChanges())
            {
                changes.MoveSubtree(from, "/renamed-directory/");
                result = await changes.CommitAsync(null, new Dictionary<string, string>(), cancellationToken);
            }

            sw.Stop();
            state.Renamed(state.Directories / 2);
            Row($"rename a directory of {result.RowsUpserted - 1:N0} files", rows, result.RowsUpserted, sw.Elapsed.TotalSeconds, $"MoveSubtree, one commit ({Phases(index.LastChangeTimings)})");

            // The same directory renamed back and forth: its rows now sit in the files earlier
            // renames wrote, as under a watcher's directory moves (--renames N, default 0).
            string at = "/renamed-directory/";
            for (int r = 1; r <= renames; r++)
            {
                string next = string.Create(CultureInfo.InvariantCulture, $"/renamed-directory-{r}/");
                sw.Restart();
                await using (var changes = index.BeginChanges())
                {
                    changes.MoveSubtree(at, next);
                    result = await changes.CommitAsync(null, new Dictionary<string, string>(), cancellationToken);
                }

                sw.Stop();
                at = next;
                Row($"rename it again ({r})", rows, result.RowsUpserted, sw.Elapsed.TotalSeconds, $"MoveSubtree, one commit ({Phases(index.LastChangeTimings)})");
            }

            // The changes table logs a rename as one row per row moved (decision 0011): what that
            // costs on disk, appended in the background behind the commits.
            long logRows = 0, logBytes = 0;
            foreach (var file in (await index.ScanAsync(cancellationToken)).ChangesFiles)
            {
                using var reader = new ParquetSharp.ParquetFileReader(file);
                logRows += reader.FileMetaData.NumRows;
                logBytes += new FileInfo(file).Length;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| changes table so far (the rename scenario alone: the renames only) | {rows:N0} | {logRows:N0} logged rows | | | {logBytes / 1048576.0:F1} MB in Parquet (zstd), {(logRows == 0 ? 0 : (double)logBytes / logRows):F1} bytes a logged row; appended in the background |"));
        }

        if (scenarios.Contains("churn"))
        {
            var before = await index.GetStatusAsync(cancellationToken);
            int minimumBefore = (int)((before.Rows + IcebergIndexStore.DefaultRunRows - 1) / IcebergIndexStore.DefaultRunRows);
            var options = new MaintenanceOptions { Compaction = new CompactionOptions { FileThreshold = threshold }, OrphanMinAge = null };
            using var stop = new CancellationTokenSource();
            int compactions = 0;
            var maintenance = Task.Run(
                async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        if ((await IndexMaintenance.RunAsync(index, options, cancellationToken)).Compaction?.Compacted == true)
                        {
                            compactions++;
                        }

                        try
                        {
                            await Task.Delay(500, stop.Token);
                        }
                        catch (OperationCanceledException)
                        {
                        }
                    }
                },
                cancellationToken);
            var sw = Stopwatch.StartNew();
            long total = 0;
            for (int b = 0; b < churnBatches; b++)
            {
                total += await ApplyBatchAsync(index, state, batch, cancellationToken);
            }

            sw.Stop();
            await stop.CancelAsync();
            await maintenance;
            var after = await index.GetStatusAsync(cancellationToken);
            int minimumAfter = (int)((after.Rows + IcebergIndexStore.DefaultRunRows - 1) / IcebergIndexStore.DefaultRunRows);
            Row($"churn: {churnBatches} batches of {batch:N0} with compaction running", rows, total, sw.Elapsed.TotalSeconds, string.Create(CultureInfo.InvariantCulture, $"{compactions} compactions; files before {before.DataFiles + before.DeleteFiles} (minimum {minimumBefore}), after {after.DataFiles + after.DeleteFiles} (minimum {minimumAfter}, threshold {threshold})"));

            await using var engine = await QueryEngine.OpenAsync(index, cancellationToken);
            var times = new List<double>();
            object? count = null;
            for (int i = 0; i < 3; i++)
            {
                var q = Stopwatch.StartNew();
                var result = await engine.QueryAsync("SELECT count(*), sum(size) FROM files", cancellationToken);
                times.Add(q.Elapsed.TotalSeconds);
                count = result.Rows[0][0];
            }

            Row("query after churn: `SELECT count(*), sum(size) FROM files`", Convert.ToInt64(count, CultureInfo.InvariantCulture), 0, times.Min(), string.Create(CultureInfo.InvariantCulture, $"best of 3 (first {times[0]:F2} s); expected {state.LiveCount:N0} rows"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Peak RSS of the whole run: {CrawlBenchmark.PeakRssMb():N0} MB."));
        await index.DisposeAsync(); // waits for the changes log appends still running
        if (keep)
        {
            Console.WriteLine($"Table kept at {dir} (--keep).");
        }
        else
        {
            Directory.Delete(dir, recursive: true);
        }

        return 0;

        static string Phases(ChangeSetTimings? t) => t is null ? "" : string.Create(
            CultureInfo.InvariantCulture,
            $"find {t.Resolve:F2} s, of which paths {t.PathsRead.Seconds:F2} s and rows {t.RowsRead.Seconds:F2} s; prepare {t.Prepare:F2} s; write {t.WriteFiles:F2} s; commit {t.Commit:F2} s; apply {t.Apply:F2} s");

        void Row(string scenario, long tableRows, long changes, double seconds, string notes) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {scenario} | {tableRows:N0} | {changes:N0} | {seconds:F2} | {(changes > 0 ? (changes / seconds).ToString(changes / seconds < 10 ? "F2" : "N0", CultureInfo.InvariantCulture) : "")} | {notes} |"));
    }

    private static async Task<int> ApplyBatchAsync(IcebergIndexStore store, Workload state, int size, CancellationToken cancellationToken)
    {
        await using var changes = store.BeginChanges();
        int updates = size * 6 / 10, inserts = size / 5, deletes = size - updates - inserts;
        var picked = new HashSet<long>();
        for (int i = 0; i < updates; i++)
        {
            long id = state.PickLive(picked);
            changes.Upsert(state.Updated(id));
        }

        for (int i = 0; i < deletes; i++)
        {
            long id = state.PickLive(picked);
            changes.Delete(state.PathOf(id));
            state.Deleted(id);
        }

        for (int i = 0; i < inserts; i++)
        {
            changes.Upsert(state.Inserted());
        }

        await changes.CommitAsync(null, new Dictionary<string, string> { ["bench"] = "1" }, cancellationToken);
        return size;
    }

    private static async Task WriteSyntheticAsync(IcebergIndexStore store, Workload state, CancellationToken cancellationToken)
    {
        await using var writer = (IBulkIndexWriter)store.BeginReplace();
        var pending = new List<Task>();
        var buffer = new List<FileRecord>(IcebergIndexStore.DefaultRunRows);
        foreach (var record in state.Original())
        {
            buffer.Add(record);
            if (buffer.Count == IcebergIndexStore.DefaultRunRows)
            {
                Flush();
            }
        }

        Flush();
        await Task.WhenAll(pending);
        await writer.CommitAsync(null, cancellationToken);

        void Flush()
        {
            if (buffer.Count == 0)
            {
                return;
            }

            var rows = buffer;
            buffer = new List<FileRecord>(IcebergIndexStore.DefaultRunRows);
            string path = writer.NewDataFilePath();
            if (pending.Count >= 2)
            {
                Task.WaitAll(pending.ToArray(), cancellationToken);
                pending.Clear();
            }

            pending.Add(Task.Run(() => writer.AddDataFile(IndexDataFileWriter.Write(path, rows, cancellationToken)), cancellationToken));
        }
    }

    /// <summary>The per-change copy-on-write baseline: each change rewrites the data file holding its row and commits.</summary>
    private static async Task<(int Changes, double Seconds)> CopyOnWriteAsync(IcebergIndexStore store, Workload state, int count, CancellationToken cancellationToken)
    {
        var table = store.Table;
        await table.RefreshAsync(cancellationToken);
        var sw = Stopwatch.StartNew();
        var picked = new HashSet<long>();
        for (int i = 0; i < count; i++)
        {
            long id = state.PickLive(picked);
            string path = state.PathOf(id);
            bool delete = i % 5 == 4;
            var live = await table.LiveEntriesAsync(cancellationToken);
            var holder = live.Where(e => e.DataFile.Content == FileContent.Data).Select(e => e.DataFile)
                .FirstOrDefault(f => PathOrder.Instance.Compare(SingleValue.ToString(f.LowerBounds![IcebergIndexStore.PathFieldId]), path) <= 0
                    && PathOrder.Instance.Compare(SingleValue.ToString(f.UpperBounds![IcebergIndexStore.PathFieldId]), path) >= 0);
            if (holder is null)
            {
                continue;
            }

            var rows = new List<FileRecord>();
            await IndexParquetReader.ReadAsync(Qindex.Iceberg.IO.LocalFileIO.ToPath(holder.FilePath), null, batch =>
            {
                rows.AddRange(batch);
                return ValueTask.CompletedTask;
            }, _ => { }, cancellationToken);
            int at = rows.FindIndex(r => r.Path == path);
            if (at < 0)
            {
                continue;
            }

            if (delete)
            {
                rows.RemoveAt(at);
                state.Deleted(id);
            }
            else
            {
                rows[at] = state.Updated(id);
            }

            string location = table.NewDataLocation($"cow-{Guid.NewGuid():N}.parquet");
            string local = Qindex.Iceberg.IO.LocalFileIO.ToPath(location);
            IndexDataFileWriter.Write(local, rows, cancellationToken);
            var file = ParquetMetrics.Read(local, location, IcebergIndexStore.Schema, new HashSet<int> { IcebergIndexStore.PathFieldId }, FileContent.Data, IcebergIndexStore.SortOrder.OrderId);
            await table.CommitAsync(new FileChange { Added = [file], Removed = new HashSet<string>(StringComparer.Ordinal) { holder.FilePath } }, cancellationToken);
        }

        sw.Stop();
        return (count, sw.Elapsed.TotalSeconds);
    }

    /// <summary>The synthetic tree and the random changes made to it, tracked without holding every path.</summary>
    private sealed class Workload(long files, int seed)
    {
        private readonly Random _random = new(seed);
        private readonly BitArray _gone = new((int)files);
        private readonly long _files = files;
        private long _inserted;
        private int _renamedDirectory = -1;

        public int Directories { get; } = (int)((files + FilesPerDirectory - 1) / FilesPerDirectory);

        public long OriginalRows => _files + Directories;

        public long LiveCount => OriginalRows - CountGone() + _inserted;

        public static string DirectoryPath(int d) => string.Create(CultureInfo.InvariantCulture, $"/d{d:D4}/");

        public string PathOf(long id)
        {
            int d = (int)(id / FilesPerDirectory);
            string directory = d == _renamedDirectory ? "/renamed-directory/" : DirectoryPath(d);
            return string.Create(CultureInfo.InvariantCulture, $"{directory}f{id:D9}");
        }

        public IEnumerable<FileRecord> Original()
        {
            for (long id = 0; id < _files; id++)
            {
                if (id % FilesPerDirectory == 0)
                {
                    yield return Directory((int)(id / FilesPerDirectory));
                }

                yield return File(PathOf(id), id, id % 100_000);
            }
        }

        public long PickLive(HashSet<long>? exclude = null)
        {
            while (true)
            {
                long id = _random.NextInt64(_files);
                if (!_gone[(int)id] && (int)(id / FilesPerDirectory) != _renamedDirectory && (exclude is null || exclude.Add(id)))
                {
                    return id;
                }
            }
        }

        public FileRecord Updated(long id) => File(PathOf(id), id, _random.NextInt64(1, 1L << 30));

        public void Deleted(long id) => _gone[(int)id] = true;

        public void Renamed(int directory) => _renamedDirectory = directory;

        public FileRecord Inserted()
        {
            long n = _inserted++;
            int d = _random.Next(Directories);
            string directory = d == _renamedDirectory ? "/renamed-directory/" : DirectoryPath(d);
            return File(string.Create(CultureInfo.InvariantCulture, $"{directory}new-{n:D9}"), 1_000_000_000L + n, n);
        }

        private int CountGone()
        {
            int n = 0;
            for (int i = 0; i < _gone.Length; i++)
            {
                n += _gone[i] ? 1 : 0;
            }

            return n;
        }

        private static FileRecord Directory(int d) => new()
        {
            Path = DirectoryPath(d),
            Name = string.Create(CultureInfo.InvariantCulture, $"d{d:D4}"),
            Type = "FS_FILE_TYPE_DIRECTORY",
            Id = (2 + d).ToString(CultureInfo.InvariantCulture),
            Size = 0,
            ChildCount = FilesPerDirectory,
            Mode = 493,
        };

        private static FileRecord File(string path, long id, long size)
        {
            var time = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(id % 10_000_000);
            return new FileRecord
            {
                Path = path,
                Name = path[(path.LastIndexOf('/') + 1)..],
                NumLinks = 1,
                Type = "FS_FILE_TYPE_FILE",
                Id = (1000 + id).ToString(CultureInfo.InvariantCulture),
                Mode = 420,
                Owner = 12884901888 + (id % 7),
                OwnerIdType = "NFS_UID",
                OwnerIdValue = (1000 + (id % 7)).ToString(CultureInfo.InvariantCulture),
                Group = 17179869184,
                GroupIdType = "NFS_GID",
                GroupIdValue = "100",
                Blocks = (size / 4096) + 1,
                Datablocks = size / 4096,
                Metablocks = 1,
                Size = size,
                AccessTime = time,
                ModificationTime = time,
                ChangeTime = time,
                CreationTime = time,
                ChildCount = 0,
                DataRevision = 1,
                UserMetadataRevision = 1,
            };
        }
    }
}
