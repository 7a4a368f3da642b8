using Qindex.Index.Watch;

namespace Qindex.Index.Tests.Watch;

/// <summary>Starting a watcher in a test: on its own task, until its first catch-up has committed.</summary>
internal static class WatchStart
{
    /// <summary>
    /// Runs <paramref name="watcher"/> and returns once its first catch-up has committed; a watcher
    /// that ends before that has its error thrown here, or fails the test.
    /// </summary>
    public static async Task<(Task<WatchExit> Run, CancellationTokenSource Stop)> UntilCaughtUpAsync(Watcher watcher, TimeSpan timeout)
    {
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Committed += c =>
        {
            if (c.CatchUp)
            {
                caughtUp.TrySetResult();
            }
        };
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => watcher.RunAsync(stop.Token));
        await Task.WhenAny(caughtUp.Task, run).WaitAsync(timeout);
        if (!caughtUp.Task.IsCompleted)
        {
            await run;
            Assert.Fail("the watcher stopped before catching up");
        }

        return (run, stop);
    }
}
