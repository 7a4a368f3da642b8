using System.Diagnostics;
using Qindex.Simulator.Churn;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Load;

/// <summary>
/// A seeded load applied inside the simulator, straight to the model: the churn mix (or an archive
/// unpacking) at a paced rate, with every change emitting the notifications its REST request would
/// (the same model methods run). One load at a time per server; start, stop, wait and read its
/// status here or through <c>/__sim/load/...</c>. Watch benchmarks use it so they measure the
/// watcher, not a REST load generator.
/// </summary>
public sealed class SimulatedLoad : IAsyncDisposable
{
    private readonly ClusterModel _model;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _stop;
    private Task? _run;
    private LoadOptions? _options;
    private ModelChurnTarget? _target;
    private Func<IReadOnlyDictionary<string, long>>? _counts;
    private long _steps;
    private long _eventsAtStart;
    private long _eventsAtEnd = -1;
    private Stopwatch _clock = new();
    private string? _error;

    internal SimulatedLoad(ClusterModel model) => _model = model;

    /// <summary>Where the current (or last) load stands.</summary>
    public LoadStatus Status
    {
        get
        {
            lock (_gate)
            {
                if (_options is null)
                {
                    return LoadStatus.Idle;
                }

                bool running = _run is { IsCompleted: false };
                long events = (_eventsAtEnd >= 0 ? _eventsAtEnd : _model.EventsEmitted) - _eventsAtStart;
                return new LoadStatus(
                    running, _options, _target?.Mutations ?? 0, Interlocked.Read(ref _steps), events, _clock.Elapsed,
                    _counts?.Invoke() ?? new Dictionary<string, long>(), _error);
            }
        }
    }

    /// <summary>
    /// Starts a load in the background. The load path is made (with its parents) when missing.
    /// Throws <see cref="InvalidOperationException"/> while another load runs and
    /// <see cref="ArgumentException"/> for bad options.
    /// </summary>
    public LoadStatus Start(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        lock (_gate)
        {
            if (_run is { IsCompleted: false })
            {
                throw new InvalidOperationException("a load is already running; stop it first");
            }

            _stop?.Dispose();
            _stop = new CancellationTokenSource();
            _options = options;
            _target = new ModelChurnTarget(_model);
            _counts = null;
            _steps = 0;
            _error = null;
            _eventsAtEnd = -1;
            EnsureDirectory(options.Path);
            _eventsAtStart = _model.EventsEmitted;
            _clock = Stopwatch.StartNew();
            var token = _stop.Token;
            var target = _target;
            _run = Task.Run(() => RunAsync(options, target, token), CancellationToken.None);
        }

        return Status;
    }

    /// <summary>Stops the running load (if any) after its current step; returns the final status.</summary>
    public async Task<LoadStatus> StopAsync()
    {
        Task? run;
        lock (_gate)
        {
            run = _run;
            _stop?.Cancel();
        }

        if (run is not null)
        {
            await run.ConfigureAwait(false);
        }

        return Status;
    }

    /// <summary>Waits until the load ends by itself (its number of changes reached, or a failure) or <paramref name="cancellationToken"/> fires.</summary>
    public async Task<LoadStatus> WaitAsync(CancellationToken cancellationToken)
    {
        Task? run;
        lock (_gate)
        {
            run = _run;
        }

        if (run is not null)
        {
            await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return Status;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop?.Dispose();
    }

    private async Task RunAsync(LoadOptions options, ModelChurnTarget target, CancellationToken token)
    {
        try
        {
            Func<CancellationToken, Task> step;
            if (options.Shape == LoadShape.Unpack)
            {
                var unpack = new UnpackWorkload(target, options.Path, options.Seed);
                SetCounts(() => unpack.Counts);
                step = _ =>
                {
                    if (!unpack.Step())
                    {
                        throw new OperationCanceledException("the archive is fully unpacked");
                    }

                    return Task.CompletedTask;
                };
            }
            else
            {
                var churn = new ChurnWorkload(target, new ChurnOptions { Path = options.Path, Seed = options.Seed, MaxTreeDelete = options.MaxTreeDelete });
                await churn.PrepareAsync(token).ConfigureAwait(false);
                SetCounts(() => churn.Counts);
                long preparedCalls = 0;
                step = ct => churn.NextStepAsync(preparedCalls++, ct);
            }

            await PaceAsync(options, target, step, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped, or nothing left to do: the status says how far it got.
        }
        catch (Exception e)
        {
            // The load runs unattended in the background: whatever stopped it is its status's answer,
            // never an unobserved task exception. A failing step's message names the step.
            lock (_gate)
            {
                _error = e is InvalidOperationException or ArgumentException or ClusterException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            }
        }
        finally
        {
            lock (_gate)
            {
                _clock.Stop();
                _eventsAtEnd = _model.EventsEmitted;
            }
        }
    }

    /// <summary>
    /// Runs steps until the number of changes is reached or the load is stopped, never ahead of
    /// <c>rate x elapsed</c>: the schedule is a credit that grows with time, checked every step, with
    /// a millisecond sleep when ahead, so rates of tens of thousands a second hold without a timer per change.
    /// </summary>
    private async Task PaceAsync(LoadOptions options, ModelChurnTarget target, Func<CancellationToken, Task> step, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        while (!token.IsCancellationRequested && (options.Changes == 0 || target.Mutations < options.Changes))
        {
            if (options.Rate > 0 && target.Mutations >= options.Rate * clock.Elapsed.TotalSeconds)
            {
                await Task.Delay(1, token).ConfigureAwait(false);
                continue;
            }

            await step(token).ConfigureAwait(false);
            Interlocked.Increment(ref _steps);
        }
    }

    private void SetCounts(Func<IReadOnlyDictionary<string, long>> counts)
    {
        lock (_gate)
        {
            _counts = counts;
        }
    }

    /// <summary>Makes <paramref name="path"/> and any missing parents.</summary>
    private void EnsureDirectory(string path)
    {
        var parent = "/";
        foreach (var name in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var here = parent + name + "/";
            try
            {
                _model.GetAttributes(here);
            }
            catch (ClusterException e) when (e.StatusCode == 404)
            {
                _model.CreateDirectory(parent, name);
            }

            parent = here;
        }
    }
}
