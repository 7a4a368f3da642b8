using System.Diagnostics;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Import;

/// <summary>Progress of an import, for the command layer to show.</summary>
/// <param name="File">The file being read.</param>
/// <param name="FilesDone">Files finished.</param>
/// <param name="BytesDone">Bytes of finished files.</param>
/// <param name="Rows">Rows added so far.</param>
public sealed record ImportProgress(string File, int FilesDone, long BytesDone, long Rows);

/// <summary>
/// Imports the users' existing index (Parquet from their ingest script, or the tree walker's
/// NDJSON) into the index in one replacing commit. Bad lines are counted and the first ones
/// kept with file and line; an unreadable file stops the import and the index stays as it was.
/// </summary>
public static class IndexImporter
{
    /// <summary>Bad inputs kept for the report; the rest are only counted.</summary>
    public const int MaxBadListed = 20;

    /// <summary>Parquet files imported at once: each file is read and written on one thread, so one per core.</summary>
    public static int BulkFilesAtOnce { get; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Reads every file into one replacing commit of <paramref name="store"/>.</summary>
    /// <exception cref="ImportSourceException">A file cannot be read; nothing is committed.</exception>
    /// <exception cref="ImportRefusedException">
    /// No good rows, or more than <paramref name="maxBadFraction"/> of the lines bad (the default
    /// refuses only an import without good rows); nothing is committed.
    /// </exception>
    public static async Task<ImportResult> ImportAsync(
        IReadOnlyList<ImportFile> files,
        IIndexStore store,
        IProgress<ImportProgress>? progress,
        CancellationToken cancellationToken,
        double maxBadFraction = 1.0)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(store);
        var started = Stopwatch.StartNew();
        var ingestTs = FileRecordParser.TruncateToMicros(DateTimeOffset.UtcNow);
        var bad = new List<BadInput>();
        long badCount = 0;
        long bytes = 0;
        var filesDone = 0;

        void OnBad(BadInput b)
        {
            badCount++;
            if (bad.Count < MaxBadListed)
            {
                bad.Add(b);
            }
        }

        await using var writer = store.BeginReplace();
        var bulk = writer as IBulkIndexWriter;

        // Parquet files are copied column by column into data files, one file per core at a time.
        // With fewer than two files per core, files are split into runs of row groups (a data file
        // each) so that every core has work to the end even when another process slows one down.
        // Bad rows are listed in file order.
        var bulkFiles = bulk is null ? [] : files.Where(f => f.Format == ImportFormat.Parquet).ToList();
        var parts = bulkFiles.Count == 0 ? 1 : ((2 * BulkFilesAtOnce) + bulkFiles.Count - 1) / bulkFiles.Count;
        var units = new List<(int File, Range RowGroups)>();
        for (var f = 0; f < bulkFiles.Count; f++)
        {
            var ranges = parts > 1 ? ParquetBulkImport.Split(bulkFiles[f].Path, parts) : [Range.All];
            units.AddRange(ranges.Select(r => (f, r)));
        }

        var unitsLeft = new int[bulkFiles.Count];
        foreach (var unit in units)
        {
            unitsLeft[unit.File]++;
        }

        var badByUnit = new List<BadInput>[units.Count];
        var badCountByUnit = new long[units.Count];
        var progressLock = new Lock();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, units.Count),
            new ParallelOptions { MaxDegreeOfParallelism = BulkFilesAtOnce, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var file = bulkFiles[units[i].File];
                lock (progressLock)
                {
                    progress?.Report(new ImportProgress(file.Path, filesDone, bytes, writer.RowsAdded));
                }

                var listed = badByUnit[i] = [];
                await ParquetBulkImport.ImportFileAsync(
                    file.Path,
                    bulk!,
                    ingestTs,
                    b =>
                    {
                        badCountByUnit[i]++;
                        if (listed.Count < MaxBadListed)
                        {
                            listed.Add(b);
                        }
                    },
                    ct,
                    units[i].RowGroups).ConfigureAwait(false);
                lock (progressLock)
                {
                    if (--unitsLeft[units[i].File] == 0)
                    {
                        bytes += file.Length;
                        filesDone++;
                    }
                }
            }).ConfigureAwait(false);
        for (var i = 0; i < units.Count; i++)
        {
            badCount += badCountByUnit[i];
            bad.AddRange(badByUnit[i].Take(MaxBadListed - bad.Count));
        }

        foreach (var file in files.Where(f => bulk is null || f.Format != ImportFormat.Parquet))
        {
            progress?.Report(new ImportProgress(file.Path, filesDone, bytes, writer.RowsAdded));
            if (file.Format == ImportFormat.Parquet)
            {
                await IndexParquetReader.ReadAsync(
                    file.Path,
                    ingestTs,
                    async batch =>
                    {
                        foreach (var record in batch)
                        {
                            await writer.AddAsync(record, cancellationToken).ConfigureAwait(false);
                        }
                    },
                    OnBad,
                    cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await NdjsonReader.ReadAsync(file.Path, ingestTs, r => writer.AddAsync(r, cancellationToken), OnBad, cancellationToken).ConfigureAwait(false);
            }

            bytes += file.Length;
            filesDone++;
        }

        progress?.Report(new ImportProgress("", filesDone, bytes, writer.RowsAdded));
        writer.AddSummaryProperty("qindex.imported-from", string.Join(", ", files.Select(f => f.Path).Take(10)) + (files.Count > 10 ? $" and {files.Count - 10} more" : ""));
        ImportRefusedException.ThrowIfRefused(writer.RowsAdded, badCount, bad, maxBadFraction);
        await writer.CommitAsync(null, cancellationToken).ConfigureAwait(false);
        return new ImportResult(writer.RowsAdded, badCount, bad, bytes, filesDone, started.Elapsed);
    }
}
