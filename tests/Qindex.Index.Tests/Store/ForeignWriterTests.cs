using Avro.File;
using Avro.Generic;
using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.IO;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// Review finding 3 of issue 8: another writer (Java, pyiceberg) appends with null sequence
/// numbers in its ADDED entries; qindex's next commit must carry them into EXISTING and DELETED
/// entries as explicit, inherited numbers, and other readers must still read the table.
/// </summary>
public sealed class ForeignWriterTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Entries_appended_with_null_sequence_numbers_are_rewritten_with_the_inherited_ones()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None);
        await using (var writer = store.BeginReplace())
        {
            foreach (var path in new[] { "/q/a", "/q/b" })
            {
                await writer.AddAsync(new FileRecord { Path = path, Name = "x", Size = 1 }, CancellationToken.None);
            }

            await writer.CommitAsync(null, CancellationToken.None);
        }

        // The other writer's append: two data files (copies of qindex's), one manifest written by
        // Apache.Avro whose ADDED entries leave snapshot id and sequence numbers null.
        var table = store.Table;
        var base_ = table.Metadata;
        var ownManifest = (await table.ReadManifestListAsync(base_.CurrentSnapshot!, CancellationToken.None)).Single();
        string ownManifestPath = LocalFileIO.ToPath(ownManifest.ManifestPath);
        string ownData = LocalFileIO.ToPath((await table.LiveEntriesAsync(CancellationToken.None)).Single().DataFile.FilePath);
        long foreignSnapshot = 4242;
        long foreignSequence = base_.LastSequenceNumber + 1;
        var foreignFiles = new[] { "foreign-1.parquet", "foreign-2.parquet" }.Select(table.NewDataLocation).ToArray();
        foreach (var f in foreignFiles)
        {
            File.Copy(ownData, LocalFileIO.ToPath(f));
        }

        string foreignManifest = FileIOFactory.Combine(base_.Location, "metadata/foreign-m0.avro");
        long rowsPerFile;
        using (var reader = DataFileReader<GenericRecord>.OpenReader(ownManifestPath))
        {
            var schema = reader.GetSchema();
            var template = reader.Next();
            rowsPerFile = (long)((GenericRecord)template["data_file"])["record_count"];
            using var output = File.Create(LocalFileIO.ToPath(foreignManifest));
            using var writer = DataFileWriter<GenericRecord>.OpenWriter(new GenericDatumWriter<GenericRecord>(schema), output);
            foreach (var key in new[] { "schema", "schema-id", "partition-spec", "partition-spec-id", "format-version", "content" })
            {
                writer.SetMeta(key, reader.GetMetaString(key));
            }

            foreach (var f in foreignFiles)
            {
                var entry = new GenericRecord(template.Schema);
                foreach (var field in template.Schema.Fields)
                {
                    entry.Add(field.Name, template[field.Name]);
                }

                var dataFile = (GenericRecord)template["data_file"];
                var copy = new GenericRecord(dataFile.Schema);
                foreach (var field in dataFile.Schema.Fields)
                {
                    copy.Add(field.Name, dataFile[field.Name]);
                }

                copy.Add("file_path", f);
                entry.Add("status", 1);
                entry.Add("snapshot_id", null);
                entry.Add("sequence_number", null);
                entry.Add("file_sequence_number", null);
                entry.Add("data_file", copy);
                writer.Append(entry);
            }
        }

        var appended = new ManifestFile
        {
            ManifestPath = foreignManifest,
            ManifestLength = new FileInfo(LocalFileIO.ToPath(foreignManifest)).Length,
            SequenceNumber = foreignSequence,
            MinSequenceNumber = foreignSequence,
            AddedSnapshotId = foreignSnapshot,
            AddedFilesCount = 2,
            AddedRowsCount = 2 * rowsPerFile,
        };
        string list = FileIOFactory.Combine(base_.Location, "metadata/snap-foreign.avro");
        await table.IO.WriteNewAsync(list, Manifest.WriteList(foreignSnapshot, base_.CurrentSnapshotId, foreignSequence, [ownManifest, appended]), CancellationToken.None);
        var summary = new Dictionary<string, string> { ["operation"] = "append" };
        var snapshot = new Snapshot(foreignSnapshot, base_.CurrentSnapshotId, foreignSequence, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), list, summary, base_.CurrentSchemaId);
        await using (var catalog = await SqlCatalog.OpenSqliteAsync(Path.Combine(_dir, "catalog.db"), FileIOFactory.ToLocation(Path.Combine(_dir, "warehouse")), CancellationToken.None))
        {
            var loaded = await catalog.LoadTableAsync(IcebergIndexStore.TableName, CancellationToken.None);
            await catalog.CommitAsync(IcebergIndexStore.TableName, loaded!, [new AddSnapshotUpdate(snapshot), new SetMainBranchUpdate(foreignSnapshot)], CancellationToken.None);
        }

        // qindex's next commit removes one of the other writer's files: the other becomes EXISTING.
        await table.RefreshAsync(CancellationToken.None);
        var ours = await table.CommitAsync(new FileChange { Removed = new HashSet<string>(StringComparer.Ordinal) { foreignFiles[0] } }, CancellationToken.None);
        var rewritten = new List<ManifestEntry>();
        foreach (var m in await table.ReadManifestListAsync(ours, CancellationToken.None))
        {
            // Raw entries, without inheritance: what any reader finds in the files.
            rewritten.AddRange(Manifest.Read(await table.IO.ReadAllBytesAsync(m.ManifestPath, CancellationToken.None), m.ManifestPath)
                .Where(e => foreignFiles.Contains(e.DataFile.FilePath)));
        }

        var deleted = Assert.Single(rewritten, e => e.Status == ManifestEntryStatus.Deleted);
        var existing = Assert.Single(rewritten, e => e.Status == ManifestEntryStatus.Existing);
        Assert.Equal(foreignFiles[0], deleted.DataFile.FilePath);
        Assert.Equal((foreignSequence, foreignSequence), (deleted.SequenceNumber, deleted.FileSequenceNumber));
        Assert.Equal((foreignSequence, foreignSequence, foreignSnapshot), (existing.SequenceNumber, existing.FileSequenceNumber, existing.SnapshotId));
        Assert.Equal(ours.SnapshotId, deleted.SnapshotId);

        // An independent reader reads the result: qindex's rows and the surviving foreign copy.
        using var rows = await NodeReaders.ReadIcebergAsync(table.MetadataLocation);
        var paths = rows.RootElement.EnumerateArray().Select(r => r.GetProperty("path").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["/q/a", "/q/a", "/q/b", "/q/b"], paths);
    }
}
