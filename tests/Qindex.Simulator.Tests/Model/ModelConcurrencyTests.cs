using Qindex.Simulator.Generation;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Tests.Model;

public class ModelConcurrencyTests
{
    [Fact]
    public async Task Readers_and_writers_run_together_and_every_event_arrives_in_order()
    {
        var model = ClusterModel.CreateGenerated(new GeneratedTreeOptions(21, 3000));
        using var sub = model.Subscribe("/", recursive: true, [NotificationTypes.ChildFileAdded]);
        var before = ModelTestTree.Enumerate(model).Count;
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            int rounds = 0;
            do
            {
                var tree = ModelTestTree.Enumerate(model);
                Assert.True(tree.Count >= before);
                rounds++;
            }
            while (!stop.IsCancellationRequested);

            return rounds;
        })).ToList();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                model.CreateFile("/", $"w{w}-{i}");
            }
        })).ToList();
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        var rounds = await Task.WhenAll(readers);
        Assert.All(rounds, r => Assert.True(r > 0));

        Assert.Equal(before + 400, ModelTestTree.Enumerate(model).Count);
        var seen = new List<string>();
        while (sub.Reader.TryRead(out var n))
        {
            seen.Add(n.Path);
        }

        Assert.Equal(400, seen.Count);
        foreach (int w in new[] { 0, 1 })
        {
            Assert.Equal(Enumerable.Range(0, 200).Select(i => $"w{w}-{i}"), seen.Where(p => p.StartsWith($"w{w}-", StringComparison.Ordinal)));
        }
    }
}
