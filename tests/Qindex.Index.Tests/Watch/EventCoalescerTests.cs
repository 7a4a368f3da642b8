using Qindex.Index.Watch;
using Qindex.Qumulo;

namespace Qindex.Index.Tests.Watch;

public sealed class EventCoalescerTests
{
    private const string Root = "/w/";

    private static IReadOnlyList<Notification> Parse(string json) => Notification.ParsePayload(json, Root);

    private static WatchPlan Plan(params string[] payloads)
    {
        var coalescer = new EventCoalescer(Root);
        foreach (var payload in payloads)
        {
            foreach (var n in Parse(payload))
            {
                coalescer.Add(n);
            }
        }

        coalescer.FlushDanglingMove();
        return coalescer.Build();
    }

    [Fact]
    public void Relative_paths_are_joined_onto_the_watched_path_and_directories_end_with_a_slash()
    {
        var plan = Plan("""[{"type":"child_dir_added","path":"a/b","spine":["1","2","3"],"stream_name":null},{"type":"child_file_added","path":"/a/b/c.txt","spine":["1","2","3","4"],"stream_name":null}]""");
        Assert.Equal(["/w/a/b/", "/w/a/", "/w/a/b/c.txt"], plan.Refresh);
        Assert.Empty(plan.Structural);
    }

    [Fact]
    public void The_directory_each_refreshed_path_was_named_in_keeps_its_id_through_a_rename_of_it()
    {
        // A write refreshes only the file, but the id of the directory it was written in lets a
        // batch that finds the directory moved list it by id (PlanApplier).
        var plan = Plan("""[{"type":"child_data_written","path":"d/f","spine":["1","7","8"]},{"type":"child_data_written","path":"top","spine":["1","9"]},{"type":"child_dir_moved_from","path":"d","spine":["1","7"]},{"type":"child_dir_moved_to","path":"e","spine":["1","7"]}]""");
        Assert.Contains("/w/e/f", plan.Refresh);
        Assert.Equal("7", plan.DirectoryIds["/w/e/"]);
        Assert.Equal("1", plan.DirectoryIds["/w/"]);
        Assert.False(plan.DirectoryIds.ContainsKey("/w/d/"));

        // A directory below the renamed one is refreshed by nothing: its id moves with the rename.
        var deeper = Plan("""[{"type":"child_data_written","path":"d/x/f","spine":["1","7","9","10"]},{"type":"child_dir_moved_from","path":"d","spine":["1","7"]},{"type":"child_dir_moved_to","path":"e","spine":["1","7"]}]""");
        Assert.Equal(["/w/e/x/f"], deeper.Refresh.Where(p => p.EndsWith("/f", StringComparison.Ordinal)));
        Assert.Equal("9", deeper.DirectoryIds["/w/e/x/"]);
    }

    [Fact]
    public void A_renamed_file_is_linked_to_the_path_it_had_before_the_window_through_later_renames_of_it_and_its_directory()
    {
        var plan = Plan(
            """[{"type":"child_file_moved_from","path":"d/a","spine":["1","7","5"]},{"type":"child_file_moved_to","path":"d/b 'q'","spine":["1","7","5"]}]""",
            """[{"type":"child_file_moved_from","path":"d/b 'q'","spine":["1","7","5"]},{"type":"child_file_moved_to","path":"d/c\u00e9","spine":["1","7","5"]}]""",
            """[{"type":"child_file_moved_from","path":"d/m","spine":["1","7","8"]},{"type":"child_file_moved_to","path":"top","spine":["1","8"]}]""",
            """[{"type":"child_dir_moved_from","path":"d","spine":["1","7"]},{"type":"child_dir_moved_to","path":"e","spine":["1","7"]}]""",
            """[{"type":"child_file_moved_from","path":"e/x","spine":["1","7","6"]},{"type":"child_file_moved_to","path":"e/y","spine":["1","7","6"]},{"type":"child_file_removed","path":"e/y","spine":["1","7","6"]}]""");

        // Either name follows the directory's rename; a file renamed and then removed is no rename.
        Assert.Equal(new Dictionary<string, string> { ["/w/e/c\u00e9"] = "/w/e/a", ["/w/top"] = "/w/e/m" }, plan.RenamedFrom);
        Assert.Contains("/w/e/c\u00e9", plan.Refresh);
        Assert.Contains("/w/e/a", plan.Gone);
    }

    [Fact]
    public void Repeated_events_on_one_path_become_one_refresh()
    {
        var plan = Plan("""[{"type":"child_data_written","path":"f","spine":["1","5"]},{"type":"child_size_changed","path":"f","spine":["1","5"]},{"type":"child_mtime_changed","path":"f","spine":["1","5"]}]""");
        Assert.Equal(["/w/f"], plan.Refresh);
    }

    [Fact]
    public void A_directory_rename_moves_the_subtree_and_pending_changes_under_it_follow_the_rename()
    {
        var plan = Plan(
            """[{"type":"child_file_added","path":"d/x","spine":["1","2","3"]},{"type":"child_dir_moved_from","path":"d","spine":["1","2"]},{"type":"child_dir_moved_to","path":"e","spine":["1","2"]}]""");
        Assert.Equal([new StructuralStep(StructuralKind.MoveSubtree, "/w/d/", "/w/e/")], plan.Structural);
        Assert.Contains("/w/e/x", plan.Refresh);
        Assert.Contains("/w/e/", plan.Refresh);
        Assert.DoesNotContain("/w/d/x", plan.Refresh);
        Assert.Empty(plan.Crawl);
    }

    [Fact]
    public void A_rename_split_over_two_messages_is_still_one_rename()
    {
        var plan = Plan(
            """[{"type":"child_dir_moved_from","path":"d","spine":["1","2"]}]""",
            """[{"type":"child_dir_moved_to","path":"sub/e","spine":["1","9","2"]}]""");
        Assert.Equal([new StructuralStep(StructuralKind.MoveSubtree, "/w/d/", "/w/sub/e/")], plan.Structural);
        Assert.Contains("/w/sub/", plan.Refresh);
        Assert.Contains("/w/", plan.Refresh);
    }

    [Fact]
    public void Renames_keep_their_order()
    {
        var plan = Plan(
            """[{"type":"child_dir_moved_from","path":"a","spine":["1","2"]},{"type":"child_dir_moved_to","path":"b","spine":["1","2"]},{"type":"child_dir_moved_from","path":"b","spine":["1","2"]},{"type":"child_dir_moved_to","path":"c","spine":["1","2"]}]""");
        Assert.Equal(
            [new StructuralStep(StructuralKind.MoveSubtree, "/w/a/", "/w/b/"), new StructuralStep(StructuralKind.MoveSubtree, "/w/b/", "/w/c/")],
            plan.Structural);
        Assert.Contains("/w/c/", plan.Refresh);
        Assert.DoesNotContain("/w/b/", plan.Refresh);
    }

    [Fact]
    public void A_path_recreated_after_its_directory_was_renamed_follows_the_second_rename()
    {
        // Failed before the fix: the second rename met the path twice in the pending order and threw.
        var plan = Plan(
            """[{"type":"child_file_added","path":"a/x","spine":["1","2","3"]},{"type":"child_dir_moved_from","path":"a","spine":["1","2"]},{"type":"child_dir_moved_to","path":"b","spine":["1","2"]},{"type":"child_file_added","path":"a/x","spine":["1","4","5"]},{"type":"child_dir_moved_from","path":"a","spine":["1","4"]},{"type":"child_dir_moved_to","path":"c","spine":["1","4"]}]""");
        Assert.Single(plan.Refresh, p => p == "/w/c/x");
        Assert.Single(plan.Refresh, p => p == "/w/b/x");
        Assert.DoesNotContain("/w/a/x", plan.Refresh);
    }

    [Fact]
    public void A_replayed_directory_rename_crawls_the_new_path_instead_of_moving_rows()
    {
        var coalescer = new EventCoalescer(Root);
        foreach (var n in Parse("""[{"type":"child_dir_moved_from","path":"a","spine":["1","2"]},{"type":"child_dir_moved_to","path":"b","spine":["1","2"]}]"""))
        {
            coalescer.Add(n, replay: true);
        }

        var plan = coalescer.Build();
        Assert.Equal([new StructuralStep(StructuralKind.DeleteSubtree, "/w/a/")], plan.Structural);
        Assert.Equal(["/w/b/"], plan.Crawl);
    }

    [Fact]
    public void A_directory_moved_out_after_a_change_event_is_not_brought_back_by_its_id()
    {
        // Failed before the fix: the change event named the directory without its slash, the move
        // out forgot only the slashed spelling, and the row was found by id outside and kept.
        var plan = Plan("""[{"type":"child_file_added","path":"d/f","spine":["1","2","3"]},{"type":"child_mtime_changed","path":"d","spine":["1","2"]},{"type":"child_dir_moved_from","path":"d","spine":["1","2"]}]""");
        Assert.DoesNotContain(plan.Ids.Keys, k => k.StartsWith("/w/d", StringComparison.Ordinal));
        Assert.Equal("1", plan.Ids["/w/"]);
    }

    [Fact]
    public void A_moved_from_alone_is_a_move_out_that_deletes_the_subtree()
    {
        var plan = Plan("""[{"type":"child_dir_moved_from","path":"gone","spine":["1","7"]},{"type":"child_mtime_changed","path":"","spine":["1"]}]""");
        Assert.Equal([new StructuralStep(StructuralKind.DeleteSubtree, "/w/gone/")], plan.Structural);
    }

    [Fact]
    public void A_moved_to_alone_is_a_move_in_whose_subtree_is_crawled()
    {
        var plan = Plan("""[{"type":"child_dir_moved_to","path":"arrived","spine":["1","8"]}]""");
        Assert.Equal(["/w/arrived/"], plan.Crawl);
        Assert.Contains("/w/", plan.Refresh);
    }

    [Fact]
    public void A_move_in_followed_by_a_rename_crawls_the_new_path()
    {
        var plan = Plan("""[{"type":"child_dir_moved_to","path":"in","spine":["1","8"]},{"type":"child_dir_moved_from","path":"in","spine":["1","8"]},{"type":"child_dir_moved_to","path":"renamed","spine":["1","8"]}]""");
        Assert.Equal(["/w/renamed/"], plan.Crawl);
    }

    [Fact]
    public void A_moved_to_of_another_object_does_not_pair_with_a_moved_from()
    {
        var plan = Plan("""[{"type":"child_dir_moved_from","path":"out","spine":["1","7"]},{"type":"child_dir_moved_to","path":"in","spine":["1","8"]}]""");
        Assert.Equal([new StructuralStep(StructuralKind.DeleteSubtree, "/w/out/")], plan.Structural);
        Assert.Equal(["/w/in/"], plan.Crawl);
    }

    [Fact]
    public void A_dangling_moved_from_waits_for_the_next_window()
    {
        var coalescer = new EventCoalescer(Root);
        foreach (var n in Parse("""[{"type":"child_file_moved_from","path":"f","spine":["1","5"]}]"""))
        {
            coalescer.Add(n);
        }

        Assert.True(coalescer.HasDanglingMove);
        Assert.True(coalescer.Build().IsEmpty);
        foreach (var n in Parse("""[{"type":"child_file_moved_to","path":"g","spine":["1","5"]}]"""))
        {
            coalescer.Add(n);
        }

        var plan = coalescer.Build();
        Assert.Equal(["/w/f", "/w/g", "/w/"], plan.Refresh);
    }

    [Fact]
    public void A_removed_directory_deletes_its_subtree()
    {
        var plan = Plan("""[{"type":"child_dir_removed","path":"d/e","spine":["1","2","3"]}]""");
        Assert.Equal([new StructuralStep(StructuralKind.DeleteSubtree, "/w/d/e/")], plan.Structural);
        Assert.Contains("/w/d/", plan.Refresh);
    }

    [Fact]
    public void Self_removed_deletes_the_watched_subtree_and_says_so()
    {
        var plan = Plan("""[{"type":"self_removed","path":"","spine":["1"]}]""");
        Assert.True(plan.SelfRemoved);
        Assert.Equal([new StructuralStep(StructuralKind.DeleteSubtree, "/w/")], plan.Structural);
    }

    [Fact]
    public void Named_stream_events_refresh_the_owning_file()
    {
        var plan = Plan("""[{"type":"child_stream_added","path":"f","spine":["1","5"],"stream_name":"ads"},{"type":"child_stream_size_changed","path":"f","spine":["1","5"],"stream_name":"ads"}]""");
        Assert.Equal(["/w/f"], plan.Refresh);
    }

    [Fact]
    public void Unknown_types_are_counted_and_refreshed_not_fatal()
    {
        var coalescer = new EventCoalescer(Root);
        foreach (var n in Parse("""[{"type":"child_quota_changed","path":"q","spine":["1","5"]},{"type":"child_file_added","path":"a","spine":["1","6"]}]"""))
        {
            coalescer.Add(n);
        }

        Assert.Equal(1, coalescer.UnknownEvents);
        Assert.Equal(1, coalescer.Counts["child_quota_changed"]);
        Assert.Contains("/w/q", coalescer.Build().Refresh);
    }

    [Fact]
    public void A_direct_child_change_refreshes_the_watched_root_but_nothing_above_it()
    {
        var plan = Plan("""[{"type":"child_file_removed","path":"top","spine":["1","5"]}]""");
        Assert.Equal(["/w/top", "/w/"], plan.Refresh);
    }
    [Fact]
    public void A_path_whose_last_event_removed_or_moved_it_away_is_known_gone_without_a_read()
    {
        var plan = Plan(
            """[{"type":"child_file_removed","path":"a/gone","spine":["1","2","3"]}]""",
            """[{"type":"child_file_removed","path":"a/back","spine":["1","2","4"]},{"type":"child_file_added","path":"a/back","spine":["1","2","5"]}]""",
            """[{"type":"child_file_moved_from","path":"a/old","spine":["1","2","6"]},{"type":"child_file_moved_to","path":"a/new","spine":["1","2","6"]}]""",
            """[{"type":"child_dir_removed","path":"a/dir","spine":["1","2","7"]}]""",
            """[{"type":"child_file_removed","path":"m/x","spine":["1","8","9"]},{"type":"child_dir_moved_from","path":"m","spine":["1","8"]},{"type":"child_dir_moved_to","path":"n","spine":["1","8"]}]""",
            """[{"type":"child_file_moved_from","path":"a/out","spine":["1","2","10"]}]""");
        Assert.Equal(new[] { "/w/a/dir/", "/w/a/gone", "/w/a/old", "/w/a/out", "/w/n/x" }, plan.Gone.Order(StringComparer.Ordinal));
        Assert.Contains("/w/a/back", plan.Refresh);
        Assert.Contains("/w/a/new", plan.Refresh);
        Assert.DoesNotContain("/w/a/back", plan.Gone);
        Assert.DoesNotContain("/w/a/", plan.Gone);
        Assert.All(plan.Gone, p => Assert.Contains(p, plan.Refresh));
    }
}
