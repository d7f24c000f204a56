using Steer.Generation;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Server.Scheduling;
using Steer.Server.Steering;
using Steer.Steering;

namespace Steer.Server;

/// <summary>
/// The one thread that touches the model. TorchSharp's dispose scopes are per thread, so every forward pass,
/// steering vector and generation runs here. Each round it takes the queued requests that can share a batch (the
/// same sampling options, at most <see cref="ServerOptions.MaxBatchRows"/> rows, fitting the context together),
/// steered and unsteered alike, and generates them in one <see cref="LanguageModel.GenerateMany"/> call, in which
/// each request keeps its own seed, budget, steering and cancellation.
/// </summary>
internal sealed class InferenceWorker(LanguageModel model, ServerOptions options, WorkQueue queue, VectorRegistry vectors,
    ServerMetrics metrics, ILogger<InferenceWorker> logger) : IHostedService, IDisposable
{
    private const int VectorCacheSize = 32;

    // Draining: no new requests come (the web server stopped first), what is queued still runs. Stopping: the
    // shutdown timeout is over, the running batch ends between two decoding steps.
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _stopping = new();
    // Built vectors by their additions, so that a client repeating its steering (the playground does) does not pay
    // for the forward passes each time. Only the inference thread uses it.
    private readonly Dictionary<string, SteeringVector?> _vectorCache = new(StringComparer.Ordinal);
    private readonly Queue<string> _vectorCacheOrder = new();
    private Thread? _thread;
    private int _running;
    private long _batches, _requests, _mixed, _largest, _cancelled, _tokens;

    /// <summary>Requests in the batch being generated (1 while a round is being put together or other model work runs).</summary>
    public int Running => Volatile.Read(ref _running);

    public WorkerStatistics Statistics => new(Interlocked.Read(ref _batches), Interlocked.Read(ref _requests), Interlocked.Read(ref _mixed),
        Interlocked.Read(ref _largest), Interlocked.Read(ref _cancelled), Interlocked.Read(ref _tokens));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "steer-inference" };
        _thread.Start();
        return Task.CompletedTask;
    }

    /// <summary>Lets queued and running work finish until <paramref name="cancellationToken"/> (the host's shutdown timeout) fires, then fails the rest with 503.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _draining.CancelAsync();
        if (_thread is not { } thread) return;
        var finished = Task.Run(() => thread.Join(), CancellationToken.None);
        try
        {
            await finished.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        await _stopping.CancelAsync();
        var shuttingDown = new ApiException(StatusCodes.Status503ServiceUnavailable, "server_error", "the server is shutting down");
        foreach (var item in queue.Drain()) item.Fail(shuttingDown);
        // The running batch sees the stop between two decoding steps, so this is short.
        await finished.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private void Run()
    {
        var idle = true;
        // Once draining, WaitForWork no longer waits: the loop runs until the queue is empty or the stop comes.
        while (!_stopping.IsCancellationRequested && (queue.WaitForWork(_draining.Token) || queue.Count > 0))
        {
            // An idle worker waits a moment so that requests sent together (the playground's two columns) share a batch.
            if (idle && options.BatchWindow > TimeSpan.Zero) Thread.Sleep(options.BatchWindow);
            // Busy from the moment requests leave the queue, so that /healthz never shows a round as idle.
            Volatile.Write(ref _running, 1);
            try
            {
                RunOnce();
            }
            catch (Exception e)
            {
                logger.LogError(e, "the inference worker failed a round");
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
            idle = queue.Count == 0;
        }
    }

    private void RunOnce()
    {
        var selected = new List<CompletionJob>();
        int rows = 0, positions = 0, budget = 0;
        SamplingOptions? sampling = null;
        foreach (var item in queue.Snapshot())
        {
            if (item.Cancellation.IsCancellationRequested)
            {
                if (queue.Remove(item)) item.Cancel();
                continue;
            }
            if (item is IModelTask task)
            {
                // Other model work runs alone, in its turn; behind a batch it waits for the next round.
                if (selected.Count > 0) continue;
                if (queue.Remove(item)) task.Run(model);
                return;
            }
            var job = (CompletionJob)item;
            if (job.Items is null && !Prepare(job))
            {
                queue.Remove(job);
                continue;
            }
            var jobOptions = job.Plan.Options;
            var fits = selected.Count == 0 || (jobOptions.Sampling == sampling && rows + job.Plan.Rows <= options.MaxBatchRows
                && Math.Max(positions, job.Positions) + Math.Max(budget, jobOptions.MaxNewTokens) <= model.Shape.ContextLength);
            if (!fits || !queue.Remove(job)) continue;
            selected.Add(job);
            rows += job.Plan.Rows;
            positions = Math.Max(positions, job.Positions);
            budget = Math.Max(budget, jobOptions.MaxNewTokens);
            sampling = jobOptions.Sampling;
            if (rows >= options.MaxBatchRows) break;   // full: the rest wait (and are prepared) next round
        }
        if (selected.Count > 0) Generate(selected, rows);
    }

    /// <summary>Builds the job's steering vector and batch items; a failure is the job's own 400, never the batch's.</summary>
    private bool Prepare(CompletionJob job)
    {
        try
        {
            var spec = job.Plan.Steering;
            var vector = spec is null ? null : spec.Combine(spec.HasAdditions ? Computed(spec) : null, vectors);
            var items = job.Plan.Prompts.Select((prompt, i) => new GenerationItem(prompt, job.Plan.Options)
            {
                Steering = vector,
                SteeringOptions = spec?.Options,
                Logprobs = job.Plan.Logprobs,
                ReplyStart = job.Plan.ReplyStarts?[i],
                Cancellation = job.Cancellation,
            }).ToList();
            job.Positions = items.Max(model.ValidateItem);
            job.Items = items;
            return true;
        }
        catch (Exception e) when (e is SteerException or ApiException)
        {
            job.Fail(e is SteerException steer ? ApiException.From(steer) : e);
            return false;
        }
    }

    private SteeringVector? Computed(SteeringSpec spec)
    {
        var key = spec.AdditionsKey;
        if (_vectorCache.TryGetValue(key, out var cached)) return cached;
        var vector = spec.ComputeAdditions(model).Vector;
        if (_vectorCacheOrder.Count >= VectorCacheSize) _vectorCache.Remove(_vectorCacheOrder.Dequeue());
        _vectorCache[key] = vector;
        _vectorCacheOrder.Enqueue(key);
        return vector;
    }

    private void Generate(List<CompletionJob> jobs, int rows)
    {
        var items = new List<GenerationItem>();
        var owners = new List<(CompletionJob Job, int Prompt)>();
        foreach (var job in jobs)
            for (var p = 0; p < job.Items!.Count; p++)
            {
                items.Add(job.Items[p]);
                owners.Add((job, p));
            }
        Volatile.Write(ref _running, jobs.Count);
        try
        {
            model.GenerateMany(items, token =>
            {
                Interlocked.Increment(ref _tokens);
                var (job, prompt) = owners[token.Item];
                return job.OnToken(prompt, token.Completion, token.Id, token.Logprobs);
            }, _stopping.Token);
            foreach (var job in jobs)
            {
                if (job.Cancellation.IsCancellationRequested) Interlocked.Increment(ref _cancelled);
                job.Complete();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            foreach (var job in jobs) job.Fail(new ApiException(StatusCodes.Status503ServiceUnavailable, "server_error", "the server is shutting down"));
        }
        catch (SteerException e)
        {
            foreach (var job in jobs) job.Fail(ApiException.From(e));
        }
        catch (Exception e)
        {
            logger.LogError(e, "generation failed for a batch of {Count} requests", jobs.Count);
            foreach (var job in jobs) job.Fail(e);
        }
        finally
        {
            Interlocked.Increment(ref _batches);
            metrics.BatchRows.Observe(rows);
            Interlocked.Add(ref _requests, jobs.Count);
            if (jobs.Any(j => j.Plan.Steering is not null) && jobs.Any(j => j.Plan.Steering is null)) Interlocked.Increment(ref _mixed);
            long largest;
            while (rows > (largest = Interlocked.Read(ref _largest)) && Interlocked.CompareExchange(ref _largest, rows, largest) != largest) { }
        }
    }

    public void Dispose()
    {
        _draining.Dispose();
        _stopping.Dispose();
    }
}
