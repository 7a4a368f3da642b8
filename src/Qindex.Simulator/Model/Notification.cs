using System.Collections.Frozen;

namespace Qindex.Simulator.Model;

/// <summary>
/// One change notification as sent on <c>/notify</c>. <see cref="Path"/> is relative to the watched
/// directory, without a leading '/', and directory paths carry no trailing '/'. <see cref="Spine"/>
/// starts with the watched directory's id and ends with the id of the object the event is about.
/// </summary>
public sealed record Notification(string Type, string Path, IReadOnlyList<long> Spine, string? StreamName);

/// <summary>The notification type names of the API (see QUMULO_API.md).</summary>
public static class NotificationTypes
{
    public const string ChildFileAdded = "child_file_added";
    public const string ChildDirAdded = "child_dir_added";
    public const string ChildFileRemoved = "child_file_removed";
    public const string ChildDirRemoved = "child_dir_removed";
    public const string ChildFileMovedFrom = "child_file_moved_from";
    public const string ChildFileMovedTo = "child_file_moved_to";
    public const string ChildDirMovedFrom = "child_dir_moved_from";
    public const string ChildDirMovedTo = "child_dir_moved_to";
    public const string ChildBtimeChanged = "child_btime_changed";
    public const string ChildMtimeChanged = "child_mtime_changed";
    public const string ChildAtimeChanged = "child_atime_changed";
    public const string ChildSizeChanged = "child_size_changed";
    public const string ChildExtraAttrsChanged = "child_extra_attrs_changed";
    public const string ChildAclChanged = "child_acl_changed";
    public const string ChildOwnerChanged = "child_owner_changed";
    public const string ChildGroupChanged = "child_group_changed";
    public const string ChildDataWritten = "child_data_written";
    public const string ChildStreamAdded = "child_stream_added";
    public const string ChildStreamRemoved = "child_stream_removed";
    public const string ChildStreamMovedFrom = "child_stream_moved_from";
    public const string ChildStreamMovedTo = "child_stream_moved_to";
    public const string ChildStreamSizeChanged = "child_stream_size_changed";
    public const string ChildStreamDataWritten = "child_stream_data_written";
    public const string SelfRemoved = "self_removed";

    /// <summary>Every valid type name, for validating a <c>filter</c> parameter.</summary>
    public static FrozenSet<string> All { get; } = new[]
    {
        ChildFileAdded, ChildDirAdded, ChildFileRemoved, ChildDirRemoved, ChildFileMovedFrom,
        ChildFileMovedTo, ChildDirMovedFrom, ChildDirMovedTo, ChildBtimeChanged, ChildMtimeChanged,
        ChildAtimeChanged, ChildSizeChanged, ChildExtraAttrsChanged, ChildAclChanged,
        ChildOwnerChanged, ChildGroupChanged, ChildDataWritten, ChildStreamAdded,
        ChildStreamRemoved, ChildStreamMovedFrom, ChildStreamMovedTo, ChildStreamSizeChanged,
        ChildStreamDataWritten, SelfRemoved,
    }.ToFrozenSet(StringComparer.Ordinal);
}
