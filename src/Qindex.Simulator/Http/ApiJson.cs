using System.Text.Json;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Http;

/// <summary>
/// Writes the model's records in the shapes of ../shared/qumulo-api/*.json: big numbers as
/// strings, num_links and child_count as numbers, mode in octal, times RFC 3339 with nanoseconds.
/// </summary>
internal static class ApiJson
{
    public static void WriteAttributes(Utf8JsonWriter w, FsAttributes a)
    {
        w.WriteStartObject();
        w.WriteString("path", a.Path);
        w.WriteString("name", a.Name);
        w.WriteNumber("num_links", a.NumLinks);
        w.WriteString("type", a.Type.ToApi());
        w.WriteStartObject("major_minor_numbers");
        w.WriteNumber("major", a.MajorMinorNumbers.Major);
        w.WriteNumber("minor", a.MajorMinorNumbers.Minor);
        w.WriteEndObject();
        w.WriteString("symlink_target_type", a.SymlinkTargetType.ToApi());
        w.WriteString("file_number", ApiNames.FormatNumber(a.FileNumber));
        w.WriteString("id", ApiNames.FormatNumber(a.Id));
        w.WriteString("mode", ApiNames.FormatMode(a.Mode));
        w.WriteString("owner", ApiNames.FormatNumber(a.Owner));
        WriteIdentity(w, "owner_details", a.OwnerDetails);
        w.WriteString("group", ApiNames.FormatNumber(a.Group));
        WriteIdentity(w, "group_details", a.GroupDetails);
        w.WriteString("blocks", ApiNames.FormatNumber(a.Blocks));
        w.WriteString("datablocks", ApiNames.FormatNumber(a.Datablocks));
        w.WriteString("metablocks", ApiNames.FormatNumber(a.Metablocks));
        w.WriteString("size", ApiNames.FormatNumber(a.Size));
        w.WriteString("access_time", a.AccessTime.ToString());
        w.WriteString("modification_time", a.ModificationTime.ToString());
        w.WriteString("change_time", a.ChangeTime.ToString());
        w.WriteString("creation_time", a.CreationTime.ToString());
        if (a.ChildCount is { } children)
        {
            w.WriteNumber("child_count", children);
        }

        var e = a.ExtendedAttributes;
        w.WriteStartObject("extended_attributes");
        w.WriteBoolean("read_only", e.ReadOnly);
        w.WriteBoolean("hidden", e.Hidden);
        w.WriteBoolean("system", e.System);
        w.WriteBoolean("archive", e.Archive);
        w.WriteBoolean("temporary", e.Temporary);
        w.WriteBoolean("compressed", e.Compressed);
        w.WriteBoolean("not_content_indexed", e.NotContentIndexed);
        w.WriteBoolean("sparse_file", e.SparseFile);
        w.WriteBoolean("offline", e.Offline);
        w.WriteEndObject();
        w.WriteString("directory_entry_hash_policy", a.DirectoryEntryHashPolicy.ToApi());
        w.WriteString("data_revision", ApiNames.FormatNumber(a.DataRevision));
        w.WriteString("user_metadata_revision", ApiNames.FormatNumber(a.UserMetadataRevision));
        w.WriteEndObject();
    }

    public static void WriteSnapshot(Utf8JsonWriter w, SnapshotInfo s)
    {
        w.WriteStartObject();
        w.WriteNumber("id", s.Id);
        w.WriteString("name", s.Name);
        w.WriteString("timestamp", s.Timestamp.ToString());
        w.WriteString("directory_name", s.DirectoryName);
        w.WriteString("source_file_id", ApiNames.FormatNumber(s.SourceFileId));
        w.WriteBoolean("created_by_policy", s.CreatedByPolicy);
        w.WriteString("expiration", s.Expiration);
        w.WriteBoolean("in_delete", s.InDelete);
        w.WriteEndObject();
    }

    public static void WriteAggregates(Utf8JsonWriter w, DirectoryAggregates a)
    {
        w.WriteStartObject();
        w.WriteString("path", a.Path);
        w.WriteString("id", ApiNames.FormatNumber(a.Id));
        w.WriteStartArray("files");
        foreach (var f in a.Files)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            w.WriteString("type", f.Type.ToApi());
            w.WriteString("id", ApiNames.FormatNumber(f.Id));
            w.WriteString("capacity_usage", ApiNames.FormatNumber(f.CapacityUsage));
            w.WriteString("data_usage", ApiNames.FormatNumber(f.DataUsage));
            w.WriteString("meta_usage", ApiNames.FormatNumber(f.MetaUsage));
            w.WriteString("num_files", ApiNames.FormatNumber(f.NumFiles));
            w.WriteString("num_directories", ApiNames.FormatNumber(f.NumDirectories));
            w.WriteString("num_symlinks", ApiNames.FormatNumber(f.NumSymlinks));
            w.WriteString("num_other_objects", ApiNames.FormatNumber(f.NumOtherObjects));
            w.WriteString("named_stream_data_usage", ApiNames.FormatNumber(f.NamedStreamDataUsage));
            w.WriteString("num_named_streams", ApiNames.FormatNumber(f.NumNamedStreams));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("total_capacity", ApiNames.FormatNumber(a.TotalCapacity));
        w.WriteString("total_data", ApiNames.FormatNumber(a.TotalData));
        w.WriteString("total_named_stream_data", ApiNames.FormatNumber(a.TotalNamedStreamData));
        w.WriteString("total_meta", ApiNames.FormatNumber(a.TotalMeta));
        w.WriteString("total_files", ApiNames.FormatNumber(a.TotalFiles));
        w.WriteString("total_directories", ApiNames.FormatNumber(a.TotalDirectories));
        w.WriteString("total_symlinks", ApiNames.FormatNumber(a.TotalSymlinks));
        w.WriteString("total_other_objects", ApiNames.FormatNumber(a.TotalOtherObjects));
        w.WriteString("total_named_streams", ApiNames.FormatNumber(a.TotalNamedStreams));
        w.WriteEndObject();
    }

    public static void WriteNotification(Utf8JsonWriter w, Notification n)
    {
        w.WriteStartObject();
        w.WriteString("type", n.Type);
        w.WriteString("path", n.Path);
        w.WriteStartArray("spine");
        foreach (var id in n.Spine)
        {
            w.WriteStringValue(ApiNames.FormatNumber(id));
        }

        w.WriteEndArray();
        if (n.StreamName is null)
        {
            w.WriteNull("stream_name");
        }
        else
        {
            w.WriteString("stream_name", n.StreamName);
        }

        w.WriteEndObject();
    }

    /// <summary>A named stream: id, name, size and data_revision, numbers as strings.</summary>
    public static void WriteStream(Utf8JsonWriter w, NamedStream s)
    {
        w.WriteStartObject();
        w.WriteString("id", s.Id);
        w.WriteString("name", s.Name);
        w.WriteString("size", ApiNames.FormatNumber(s.Size));
        w.WriteString("data_revision", ApiNames.FormatNumber(s.DataRevision));
        w.WriteEndObject();
    }

    public static void WriteStreams(Utf8JsonWriter w, IEnumerable<NamedStream> streams)
    {
        w.WriteStartArray();
        foreach (var s in streams)
        {
            WriteStream(w, s);
        }

        w.WriteEndArray();
    }

    public static void WriteError(Utf8JsonWriter w, string module, string errorClass, string description)
    {
        w.WriteStartObject();
        w.WriteString("module", module);
        w.WriteString("error_class", errorClass);
        w.WriteString("description", description);
        w.WriteBoolean("user_visible", true);
        w.WriteEndObject();
    }

    private static void WriteIdentity(Utf8JsonWriter w, string name, Identity identity)
    {
        w.WriteStartObject(name);
        w.WriteString("id_type", identity.IdType.ToApi());
        w.WriteString("id_value", identity.IdValue);
        w.WriteEndObject();
    }

    /// <summary>The status of the in-simulator load, as the <c>/__sim/load/...</c> admin calls answer it.</summary>
    public static void WriteLoadStatus(Utf8JsonWriter w, Load.LoadStatus status)
    {
        w.WriteStartObject();
        w.WriteBoolean("running", status.Running);
        if (status.Options is { } o)
        {
            w.WriteString("shape", o.Shape.ToString().ToLowerInvariant());
            w.WriteString("path", o.Path);
            w.WriteNumber("seed", o.Seed);
            w.WriteNumber("rate", o.Rate);
            w.WriteNumber("target_changes", o.Changes);
            w.WriteNumber("max_tree_delete", o.MaxTreeDelete);
        }

        w.WriteNumber("changes", status.Changes);
        w.WriteNumber("steps", status.Steps);
        w.WriteNumber("events", status.Events);
        w.WriteNumber("elapsed_seconds", Math.Round(status.Elapsed.TotalSeconds, 3));
        w.WriteNumber("changes_per_second", Math.Round(status.ChangesPerSecond, 1));
        w.WriteStartObject("counts");
        foreach (var (kind, count) in status.Counts.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            w.WriteNumber(kind, count);
        }

        w.WriteEndObject();
        if (status.Error is null)
        {
            w.WriteNull("error");
        }
        else
        {
            w.WriteString("error", status.Error);
        }

        w.WriteEndObject();
    }
}
