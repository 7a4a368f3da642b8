using ParquetSharp;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Import;

/// <summary>
/// The fast path for Parquet input: each source file becomes one index data file, column by
/// column, values copied from the reader's pages to the writer's without becoming .NET objects:
/// strings pass as bytes, integers are widened or narrowed with range checks, times become UTC
/// microseconds, a missing ingest time becomes the import's. The data file is written with
/// ParquetSharp and the index's own Parquet schema (<see cref="IndexDataFileWriter.Schema"/>), so
/// it declares the fields the Iceberg schema requires REQUIRED (DuckDB's COPY, used before,
/// declares every column OPTIONAL). Rows stay in file order (sorting cost as much as the rest of the
/// import, see docs/decisions/0004): each file is registered unsorted with its true path bounds,
/// and compaction sorts them later. Rows without a path are left out and reported, in file order.
/// </summary>
public static class ParquetBulkImport
{
    /// <summary>
    /// Splits a file's row groups into at most <paramref name="parts"/> runs of neighbouring row
    /// groups with about as many rows each, so one large file can be imported on several cores
    /// (one data file per part).
    /// </summary>
    /// <exception cref="ImportSourceException">The file is not Parquet.</exception>
    public static IReadOnlyList<Range> Split(string source, int parts)
    {
        using var reader = IndexParquetReader.Open(source);
        var groups = reader.FileMetaData.NumRowGroups;
        var rows = new long[groups];
        for (var g = 0; g < groups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            rows[g] = rowGroup.MetaData.NumRows;
        }

        var total = rows.Sum();
        parts = Math.Clamp(parts, 1, Math.Max(1, groups));
        var ranges = new List<Range>();
        var start = 0;
        long done = 0;
        for (var g = 0; g < groups; g++)
        {
            done += rows[g];
            // Close a part at its share of the rows, or just before the group that would overshoot it more.
            var target = total * (ranges.Count + 1) / parts;
            var close = ranges.Count < parts - 1 && (done >= target || target - done < done + rows[g + 1] - target);
            if (g == groups - 1 || close)
            {
                ranges.Add(start..(g + 1));
                start = g + 1;
            }
        }

        return ranges.Count == 0 ? [0..0] : ranges;
    }

    /// <summary>
    /// Imports one Parquet file, or the row groups <paramref name="rowGroups"/> of it (all when
    /// null), into <paramref name="writer"/> as one unsorted data file.
    /// </summary>
    /// <exception cref="ImportSourceException">The file or one of its columns cannot be read.</exception>
    public static Task ImportFileAsync(string source, IBulkIndexWriter writer, DateTimeOffset ingestTs, Action<BadInput> onBad, CancellationToken cancellationToken, Range? rowGroups = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(onBad);
        return Task.Run(() => ImportFile(source, writer, ingestTs, onBad, rowGroups ?? Range.All, cancellationToken), cancellationToken);
    }

    private static void ImportFile(string source, IBulkIndexWriter writer, DateTimeOffset ingestTs, Action<BadInput> onBad, Range rowGroups, CancellationToken cancellationToken)
    {
        using var reader = IndexParquetReader.Open(source);
        var metadata = reader.FileMetaData;
        var (firstGroup, groupCount) = rowGroups.GetOffsetAndLength(metadata.NumRowGroups);
        var sourceIndex = IndexParquetReader.SourceColumns(source, metadata.Schema);
        var target = writer.NewDataFilePath();
        var columns = IndexColumns.All;
        var buffers = new ImportColumnCopy.Buffers(IndexDataFileWriter.RowGroupRows);
        var copies = new ImportColumnCopy[columns.Count];
        var bounds = new PathBounds();
        long rows = 0;
        try
        {
            using (var schema = IndexDataFileWriter.Schema())
            using (var properties = IndexDataFileWriter.Properties())
            using (var file = new ParquetFileWriter(target, schema, properties))
            {
                for (var c = 0; c < columns.Count; c++)
                {
                    copies[c] = new ImportColumnCopy(source, columns[c], sourceIndex[c] >= 0 ? metadata.Schema.Column(sourceIndex[c]) : null, FileRecordColumns.ToMicros(ingestTs), c == 0 ? bounds : null);
                }

                // Bad rows are numbered within the whole file.
                long rowBase = 0;
                for (var g = 0; g < firstGroup; g++)
                {
                    using var before = reader.RowGroup(g);
                    rowBase += before.MetaData.NumRows;
                }

                for (var g = firstGroup; g < firstGroup + groupCount; g++)
                {
                    using var rowGroup = reader.RowGroup(g);
                    var groupRows = rowGroup.MetaData.NumRows;
                    var keep = RowsWithPath(source, rowGroup, sourceIndex[0], rowBase, onBad, cancellationToken);
                    for (var c = 0; c < columns.Count; c++)
                    {
                        copies[c].Open(sourceIndex[c] >= 0 ? rowGroup.Column(sourceIndex[c]) : null, g, keep);
                    }

                    for (long done = 0; done < groupRows; done += IndexDataFileWriter.RowGroupRows)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var count = (int)Math.Min(IndexDataFileWriter.RowGroupRows, groupRows - done);
                        var kept = keep is null ? count : Count(keep, (int)done, count);
                        if (kept == 0)
                        {
                            foreach (var copy in copies)
                            {
                                copy.Copy(null, buffers, (int)done, count, 0);
                            }

                            continue;
                        }

                        using var outGroup = file.AppendRowGroup();
                        foreach (var copy in copies)
                        {
                            using var column = outGroup.NextColumn();
                            copy.Copy(column, buffers, (int)done, count, kept);
                        }

                        rows += kept;
                    }

                    foreach (var copy in copies)
                    {
                        copy.Close();
                    }

                    rowBase += groupRows;
                }

                file.Close();
            }
        }
        catch (ParquetException e)
        {
            throw new ImportSourceException($"{source}: {e.Message}", e);
        }
        finally
        {
            foreach (var copy in copies)
            {
                copy?.Close();
            }
        }

        if (rows == 0)
        {
            File.Delete(target);
            return;
        }

        writer.AddDataFile(new IndexDataFile(target, rows, new FileInfo(target).Length, bounds.Lower!, bounds.Upper!) { Sorted = false });
    }

    /// <summary>
    /// Which rows of a row group have a path, or null when its footer statistics prove all do (no
    /// nulls, smallest value not empty); rows without one are reported with their 1-based number.
    /// </summary>
    private static bool[]? RowsWithPath(string source, RowGroupReader rowGroup, int pathColumn, long rowBase, Action<BadInput> onBad, CancellationToken cancellationToken)
    {
        var rows = (int)rowGroup.MetaData.NumRows;
        using (var chunk = rowGroup.MetaData.GetColumnChunkMetaData(pathColumn))
        using (var statistics = chunk.IsStatsSet ? chunk.Statistics : null)
        {
            if (statistics is Statistics<ByteArray> { HasMinMax: true } s && s.NullCount == 0 && s.Min.Length > 0)
            {
                return null;
            }
        }

        var keep = new bool[rows];
        var defs = new short[IndexDataFileWriter.RowGroupRows];
        var values = new ByteArray[IndexDataFileWriter.RowGroupRows];
        using var reader = (ColumnReader<ByteArray>)rowGroup.Column(pathColumn);
        var maxDef = reader.ColumnDescriptor.MaxDefinitionLevel;
        var row = 0;
        while (row < rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var levels = (int)reader.ReadBatch(Math.Min(rows - row, defs.Length), defs, default, values, out _);
            if (levels == 0)
            {
                throw new ImportSourceException($"{source}: column 'path' ends after {row} of {rows} rows in a row group");
            }

            for (int i = 0, k = 0; i < levels; i++, row++)
            {
                var present = maxDef == 0 || defs[i] == maxDef;
                keep[row] = present && values[k].Length > 0;
                if (present)
                {
                    k++;
                }

                if (!keep[row])
                {
                    onBad(new BadInput(source, rowBase + row + 1, "row has no path"));
                }
            }
        }

        return keep;
    }

    private static int Count(bool[] keep, int start, int count)
    {
        var n = 0;
        foreach (var k in keep.AsSpan(start, count))
        {
            n += k ? 1 : 0;
        }

        return n;
    }
}
