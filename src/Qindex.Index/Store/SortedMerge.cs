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
/// batches per input plus one output file's rows, whatever the total.
/// </summary>
internal static class SortedMerge
{
    private const int BatchRows = 2048;

    /// <summary>Called for every row written: output file index, row position in it, the row.</summary>
    public delegate void RowWritten(int file, int position, FileRecord row);

    /// <summary>Merges <paramref name="inputs"/>; <paramref name="newPath"/> names each output file.</summary>
    public static async Task<List<IndexDataFile>> MergeAsync(IReadOnlyList<MergeInput> inputs, int rowsPerFile, Func<string> newPath, RowWritten? onRow, CancellationToken cancellationToken)
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

        var output = new List<IndexDataFile>();
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

            var rows = new List<FileRecord>(rowsPerFile);
            Task? pending = null;
            while (heap.TryDequeue(out int i, out _))
            {
                var cursor = cursors[i];
                onRow?.Invoke(output.Count, rows.Count, cursor.Current);
                rows.Add(cursor.Current);
                if (await cursor.MoveNextAsync(cancellationToken).ConfigureAwait(false))
                {
                    heap.Enqueue(i, cursor.Current.Path);
                }

                if (rows.Count == rowsPerFile)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
            }

            await FlushAsync().ConfigureAwait(false);
            if (pending is not null)
            {
                await pending.ConfigureAwait(false);
            }

            await Task.WhenAll(readers).ConfigureAwait(false);
            return output;

            async Task FlushAsync()
            {
                if (pending is not null)
                {
                    await pending.ConfigureAwait(false);
                    pending = null;
                }

                if (rows.Count == 0)
                {
                    return;
                }

                var full = rows;
                rows = new List<FileRecord>(rowsPerFile);
                string path = newPath();
                int slot = output.Count;
                output.Add(null!);
                pending = Task.Run(() => output[slot] = IndexDataFileWriter.Write(path, full, cancellationToken), cancellationToken);
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(readers).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException or IndexStoreException or ImportSourceException)
            {
                // The merge already failed; its cause is what the caller sees.
            }

            throw;
        }
    }

    private static async Task ProduceAsync(MergeInput input, ChannelWriter<FileRecord[]> writer, CancellationToken cancellationToken)
    {
        try
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
            writer.Complete();
        }
        catch (Exception e)
        {
            writer.Complete(e);
            throw;
        }
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
