using System.Threading.Channels;
using Qindex.Index.Import;
using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>One input of a merge: a local data file sorted by path, and the row positions to leave out (its deletes).</summary>
internal sealed record MergeInput(string LocalPath, IReadOnlySet<long>? Deleted = null);

/// <summary>
/// A k-way merge of data files each sorted by path into new files of at most
/// <see cref="IcebergIndexStore.DefaultRunRows"/> rows, sorted within and disjoint across (each
/// output file's paths all sort after the previous file's). Memory is bounded by a few small
/// batches and one open Parquet reader per input read at once, plus a few chunks of merged rows and
/// the output row group's encoded pages; more than <see cref="MaxFanIn"/> inputs are merged in
/// passes, so the bound holds whatever the total.
/// </summary>
internal static class SortedMerge
{
    /// <summary>
    /// Rows an input hands over at a time; with two batches queued, four are held per input. At
    /// 2,048 a merge of 77 crawl runs held 2.6 GB; at 256, 1.6 GB (bench run-merge, decision 0012).
    /// </summary>
    private const int BatchRows = 256;

    /// <summary>
    /// Merged rows handed to the output file's writer at a time; with two queued, one being
    /// written and one filling, four are held. The output file's rows were all held before, twice
    /// (one file filling while the previous one was written): 262,144 records (decision 0018).
    /// </summary>
    private const int ChunkRows = 4096;

    /// <summary>
    /// Inputs read at once. Each open input cost about 12 MB (its column readers' pages and
    /// batches), so a crawl of 10M rows (77 runs) merged in one pass peaked at 3.7 GB; in passes of
    /// at most 16 inputs the merge stays near a run's own memory (decision 0012). Runs and
    /// intermediates are written in small row groups since, which costs an input less (0018).
    /// </summary>
    internal const int MaxFanIn = 16;

    /// <summary>Called for every row written: output file index, row position in it, the row.</summary>
    public delegate void RowWritten(int file, int position, FileRecord row);

    /// <summary>
    /// Merges <paramref name="inputs"/>; <paramref name="newPath"/> names each output file. With
    /// more than <see cref="MaxFanIn"/> inputs, groups of them are first merged into intermediate
    /// files named by <paramref name="scratchPath"/> (in small row groups, as sort runs are),
    /// deleted before this returns or throws; <paramref name="onRow"/> sees only the final pass.
    /// </summary>
    public static async Task<List<IndexDataFile>> MergeAsync(IReadOnlyList<MergeInput> inputs, int rowsPerFile, Func<string> newPath, Func<string> scratchPath, RowWritten? onRow, CancellationToken cancellationToken)
    {
        List<IReadOnlyList<MergeInput>> sequences = [.. inputs.Select(i => (IReadOnlyList<MergeInput>)[i])];
        // The intermediates the current pass reads, and those it writes.
        List<string> scratch = [], written = [];
        try
        {
            while (sequences.Count > MaxFanIn)
            {
                // Balanced groups of at most MaxFanIn sequences, each merged into one sorted sequence.
                int groups = (sequences.Count + MaxFanIn - 1) / MaxFanIn;
                var next = new List<IReadOnlyList<MergeInput>>(groups);
                written = [];
                for (int g = 0; g < groups; g++)
                {
                    int start = g * sequences.Count / groups, end = (g + 1) * sequences.Count / groups;
                    var files = await MergePassAsync(
                        sequences[start..end],
                        rowsPerFile,
                        IndexDataFileWriter.ScratchRowGroupRows,
                        () =>
                        {
                            string path = scratchPath();
                            written.Add(path);
                            return path;
                        },
                        null,
                        cancellationToken).ConfigureAwait(false);
                    next.Add([.. files.Select(f => new MergeInput(f.Path))]);
                }

                // The previous pass's intermediates are read in full: only this pass's are needed.
                DeleteQuietly(scratch);
                scratch = written;
                written = [];
                sequences = next;
            }

            return await MergePassAsync(sequences, rowsPerFile, IndexDataFileWriter.RowGroupRows, newPath, onRow, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            DeleteQuietly(scratch);
            DeleteQuietly(written);
        }
    }

    private static void DeleteQuietly(List<string> paths)
    {
        foreach (var path in paths)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An intermediate file left behind is an orphan; orphan cleanup removes it.
            }
        }

        paths.Clear();
    }

    /// <summary>One pass: each sequence's files read one after another, all sequences at once.</summary>
    private static async Task<List<IndexDataFile>> MergePassAsync(IReadOnlyList<IReadOnlyList<MergeInput>> inputs, int rowsPerFile, int rowGroupRows, Func<string> newPath, RowWritten? onRow, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var readers = new List<Task>();
        var cursors = new Cursor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var channel = Channel.CreateBounded<FileRecord[]>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
            cursors[i] = new Cursor(channel.Reader);
            readers.Add(ProduceAsync(inputs[i], channel.Writer, stop.Token));
        }

        // Merged rows go to the writer a chunk at a time, each chunk encoded into the output file's
        // row group as it comes: the merge holds a few chunks of rows, not an output file's.
        var chunks = Channel.CreateBounded<(FileRecord[] Rows, int Count)>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var output = new List<IndexDataFile>();
        var writing = Task.Run(() => WriteAsync(chunks, rowsPerFile, rowGroupRows, newPath, output, stop.Token), stop.Token);
        try
        {
            var heap = new PriorityQueue<int, string>(PathOrder.Instance);
            for (int i = 0; i < cursors.Length; i++)
            {
                if (await cursors[i].MoveNextAsync(cancellationToken).ConfigureAwait(false))
                {
                    heap.Enqueue(i, cursors[i].Current.Path);
                }
            }

            var chunk = new FileRecord[ChunkRows];
            int inChunk = 0, file = 0, position = 0;
            while (heap.TryDequeue(out int i, out _))
            {
                var cursor = cursors[i];
                onRow?.Invoke(file, position, cursor.Current);
                if (++position == rowsPerFile)
                {
                    file++;
                    position = 0;
                }

                chunk[inChunk++] = cursor.Current;
                if (await cursor.MoveNextAsync(cancellationToken).ConfigureAwait(false))
                {
                    heap.Enqueue(i, cursor.Current.Path);
                }

                if (inChunk == chunk.Length)
                {
                    await chunks.Writer.WriteAsync((chunk, inChunk), cancellationToken).ConfigureAwait(false);
                    chunk = new FileRecord[ChunkRows];
                    inChunk = 0;
                }
            }

            if (inChunk > 0)
            {
                await chunks.Writer.WriteAsync((chunk, inChunk), cancellationToken).ConfigureAwait(false);
            }

            chunks.Writer.Complete();
            await writing.ConfigureAwait(false);
            await Task.WhenAll(readers).ConfigureAwait(false);
            return output;
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            chunks.Writer.TryComplete();
            try
            {
                await Task.WhenAll(readers.Append(writing)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException or IndexStoreException or ImportSourceException or IOException or ParquetSharp.ParquetException)
            {
                // The merge already failed; its cause is what the caller sees.
            }

            // A failed write closes the channel under the merge: the write's error is the cause.
            if (writing.IsFaulted && writing.Exception.InnerException is { } cause && cause is not OperationCanceledException)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }
    }

    /// <summary>
    /// Writes the merged chunks into files of <paramref name="rowsPerFile"/> rows, adding each to
    /// <paramref name="output"/> once complete. A failure closes <paramref name="chunks"/>, so the
    /// merge waiting to hand over a chunk stops too.
    /// </summary>
    private static async Task WriteAsync(Channel<(FileRecord[] Rows, int Count)> chunks, int rowsPerFile, int rowGroupRows, Func<string> newPath, List<IndexDataFile> output, CancellationToken cancellationToken)
    {
        IndexDataFileWriter.Appender? file = null;
        try
        {
            await foreach (var (rows, count) in chunks.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                for (int at = 0; at < count;)
                {
                    file ??= new IndexDataFileWriter.Appender(newPath(), rowGroupRows);
                    int take = Math.Min(count - at, rowsPerFile - file.RowCount);
                    file.Append(rows, at, take);
                    at += take;
                    if (file.RowCount == rowsPerFile)
                    {
                        output.Add(file.Complete());
                        file = null;
                    }
                }
            }

            if (file is not null)
            {
                output.Add(file.Complete());
                file = null;
            }
        }
        catch (Exception e)
        {
            // Unblocks a merge waiting for room in the channel; it then reports this error.
            chunks.Writer.TryComplete(e);
            throw;
        }
        finally
        {
            file?.Dispose();
        }
    }

    private static async Task ProduceAsync(IReadOnlyList<MergeInput> sequence, ChannelWriter<FileRecord[]> writer, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var input in sequence)
            {
                await ProduceAsync(input, writer, cancellationToken).ConfigureAwait(false);
            }

            writer.Complete();
        }
        catch (Exception e)
        {
            writer.Complete(e);
            throw;
        }
    }

    private static async Task ProduceAsync(MergeInput input, ChannelWriter<FileRecord[]> writer, CancellationToken cancellationToken)
    {
        long position = 0;
        await IndexParquetReader.ReadAsync(
            input.LocalPath,
            null,
            async batch =>
            {
                FileRecord[] kept = batch;
                if (input.Deleted is { Count: > 0 } deleted)
                {
                    var list = new List<FileRecord>(batch.Length);
                    for (int r = 0; r < batch.Length; r++)
                    {
                        if (!deleted.Contains(position + r))
                        {
                            list.Add(batch[r]);
                        }
                    }

                    kept = [.. list];
                }

                position += batch.Length;
                if (kept.Length > 0)
                {
                    await writer.WriteAsync(kept, cancellationToken).ConfigureAwait(false);
                }
            },
            bad => throw new IndexStoreException($"{input.LocalPath}: row {bad.Line} of a data file has no path"),
            cancellationToken,
            BatchRows).ConfigureAwait(false);
    }

    /// <summary>Reads one input's rows in order.</summary>
    private sealed class Cursor(ChannelReader<FileRecord[]> reader)
    {
        private FileRecord[] _batch = [];
        private int _at = -1;

        public FileRecord Current => _batch[_at];

        public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
        {
            if (++_at < _batch.Length)
            {
                return true;
            }

            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.TryRead(out var next) && next.Length > 0)
                {
                    _batch = next;
                    _at = 0;
                    return true;
                }
            }

            return false;
        }
    }
}
