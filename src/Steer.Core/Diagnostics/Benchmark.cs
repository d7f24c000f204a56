using System.Diagnostics;
using Steer.Architectures;
using Steer.Generation;
using Steer.Models;
using Steer.Runtime;
using Steer.Steering;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Diagnostics;

/// <summary>What <c>steer bench</c> measured.</summary>
/// <param name="DecodeTokensPerSecond">By batch size; counts the tokens of every sequence in the batch.</param>
/// <param name="WeightBytes">
/// What one decoding step must read of the weights: the parameters in the compute dtype, int8 layers as their
/// Q8_0 blocks (<see cref="LanguageModel.WeightBytes"/>).
/// </param>
/// <param name="ReadBandwidth">
/// The machine's read bandwidth in bytes/s (<see cref="MemoryBandwidth"/>), when asked for: the higher of two
/// measurements, just before and just after decoding.
/// </param>
/// <param name="Profile">Where a batch-1 decoding step's time went, when asked for.</param>
/// <param name="CompareStepRatio">
/// A compare batch's decoding step (one unsteered and one steered row, through <see cref="LanguageModel.GenerateMany"/>)
/// over one unsteered row's, both greedy; the steered row gets a vector at every position.
/// </param>
public sealed record BenchResult(string Shape, string DType, double LoadSeconds,
    IReadOnlyDictionary<string, double> PromptTokensPerSecond, IReadOnlyDictionary<string, double> DecodeTokensPerSecond,
    long PeakRssBytes, long Parameters, int Threads, long WeightBytes = 0, double? ReadBandwidth = null, double? CompareStepRatio = null,
    DecodeProfile? Profile = null)
{
    /// <summary>
    /// Batch-1 decoding's share of the memory-bandwidth ceiling: weight bytes × tokens/s over the read bandwidth
    /// (1 would mean every step only streams the weights once at full speed).
    /// </summary>
    public double? BandwidthUse => ReadBandwidth is { } bandwidth && DecodeTokensPerSecond.TryGetValue("1", out var tokens)
        ? WeightBytes * tokens / bandwidth : null;

    /// <summary>
    /// The part of a batch-1 decoding step that is not reading the weights: the step's seconds minus weight bytes over
    /// the read bandwidth (what the step would take if it only streamed the weights at full speed).
    /// </summary>
    public double? DecodeOverheadSeconds => ReadBandwidth is { } bandwidth && DecodeTokensPerSecond.TryGetValue("1", out var tokens)
        ? 1 / tokens - WeightBytes / bandwidth : null;

    /// <summary>
    /// Per decode batch size, the weight bytes read per second: weight bytes × decoding steps per second (a step
    /// reads the weights once for the whole batch).
    /// </summary>
    public IReadOnlyDictionary<string, double> DecodeWeightBandwidth =>
        DecodeTokensPerSecond.ToDictionary(d => d.Key, d => WeightBytes * d.Value / int.Parse(d.Key));
}

/// <summary>Where a batch-1 decoding step's time went, per <see cref="ProfiledOperation"/>.</summary>
/// <param name="Steps">Steps profiled.</param>
/// <param name="StepSeconds">Their mean wall time, sections timed (a few microseconds more than untimed).</param>
/// <param name="SecondsPerStep">Mean seconds per step in each operation.</param>
public sealed record DecodeProfile(int Steps, double StepSeconds, IReadOnlyDictionary<ProfiledOperation, double> SecondsPerStep)
{
    /// <summary>
    /// The rest of the step: the host sync and argmax the sampler needs, tensor allocation and release, views,
    /// hook checks and dispatch between the operations.
    /// </summary>
    public double OtherSeconds => StepSeconds - SecondsPerStep.Values.Sum();
}

/// <summary>
/// Measures a model shape with generated weights (speed does not depend on their values): build time,
/// prompt-pass throughput and KV-cached decoding throughput, the way generation runs them.
/// </summary>
public static class Benchmark
{
    public static readonly int[] PromptLengths = [16, 64, 256];
    public static readonly int[] DecodeBatches = [1, 4];
    public const int DecodeTokens = 128;
    private const double WarmUpSeconds = 1;
    private const int WarmUpSteps = 8;
    private const int DecodePromptLength = 16;

    /// <param name="measureBandwidth">Also measure the machine's read bandwidth, for <see cref="BenchResult.BandwidthUse"/>.</param>
    /// <param name="profile">Also profile batch-1 decoding steps by operation, after the timed runs.</param>
    public static BenchResult Run(string shapeName, ModelOptions options, Action<string>? log = null, bool measureBandwidth = false,
        bool profile = false)
    {
        var shape = ModelShapes.Get(shapeName);
        var clock = Stopwatch.StartNew();
        using var model = LanguageModel.FromFormula(shape, seed: 1, options);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        log?.Invoke($"built {shapeName} ({model.ParameterCount:N0} parameters, {model.DType}) in {loadSeconds:F2} s");

        var prompt = new Dictionary<string, double>();
        foreach (var length in PromptLengths.Where(l => l + 1 <= shape.Shape.ContextLength))
        {
            prompt[length.ToString()] = length / MedianSeconds(() => PromptPass(model, 1, length));
            log?.Invoke($"prompt pass, {length} tokens: {prompt[length.ToString()]:F1} tokens/s");
        }
        // The bandwidth a shared machine gives moves with its neighbours' load, so it is measured right before and right
        // after decoding, and the higher of the two is the ceiling (the conservative choice for the share reported).
        var bandwidthBefore = measureBandwidth ? MemoryBandwidth.Measure(get_num_threads()) : 0;
        var decode = new Dictionary<string, double>();
        foreach (var batch in DecodeBatches)
        {
            Decode(model, batch, WarmUpSteps);
            decode[batch.ToString()] = Decode(model, batch, DecodeTokens);
            log?.Invoke($"decode, batch {batch}: {decode[batch.ToString()]:F1} tokens/s");
        }
        var compare = CompareStepRatio(model);
        log?.Invoke($"compare batch (unsteered + steered row): a step takes {compare:F2}x one row's");
        var decodeProfile = profile ? Profile(model) : null;
        var weightBytes = model.DecodeWeightBytes;
        double? bandwidth = measureBandwidth ? Math.Max(bandwidthBefore, MemoryBandwidth.Measure(get_num_threads())) : null;
        var result = new BenchResult(shapeName, model.DType, loadSeconds, prompt, decode, PeakRssBytes(), model.ParameterCount, get_num_threads(),
            weightBytes, bandwidth, compare, decodeProfile);
        if (bandwidth is { } read)
        {
            log?.Invoke($"read bandwidth {read / 1e9:F1} GB/s, weights {weightBytes / 1e9:F2} GB: at most {read / weightBytes:F1} steps/s");
            foreach (var (batch, bytesPerSecond) in result.DecodeWeightBandwidth)
                log?.Invoke($"decode, batch {batch}: weights read at {bytesPerSecond / 1e9:F1} GB/s, {100 * bytesPerSecond / read:F0}% of the read bandwidth");
            log?.Invoke($"decode, batch 1: step {1e3 / decode["1"]:F1} ms = weight streaming {1e3 * weightBytes / read:F1} ms " +
                $"+ overhead {1e3 * result.DecodeOverheadSeconds:F1} ms");
        }
        return result;
    }

    private static double MedianSeconds(Action action)
    {
        // Warm-up: first-call allocations, kernel selection, and, in hosts with tiered JIT, its recompilations.
        var warmUp = Stopwatch.StartNew();
        do action(); while (warmUp.Elapsed.TotalSeconds < WarmUpSeconds);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 3 || (times.Count < 20 && total.Elapsed.TotalSeconds < 3))
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Arbitrary ids spread over the vocabulary (speed does not depend on them).</summary>
    private static int[] Tokens(int length, int offset, int vocabulary) =>
        Enumerable.Range(0, length).Select(i => (i * 7919 + offset * 104729) % vocabulary).ToArray();

    private static void PromptPass(LanguageModel model, int batch, int length)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = model.Transformer.CreateCache(batch, length + 1);
        var rows = Enumerable.Range(0, batch).Select(b => (IReadOnlyList<int>)Tokens(length, b, model.Shape.VocabSize)).ToList();
        model.Transformer.Forward(model.Input(rows, cache, lastOnly: true)).argmax(-1).cpu();
    }

    /// <returns>
    /// tokens per second (all rows together) over <paramref name="maxSteps"/> cached steps after a 16-token prompt,
    /// or fewer steps when the context is shorter (e.g. 112 for tiny's 128)
    /// </returns>
    private static double Decode(LanguageModel model, int batch, int maxSteps, Func<OperationProfiler.Recording>? record = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var steps = DecodeSteps(model, maxSteps);
        using var cache = model.Transformer.CreateCache(batch, DecodePromptLength + steps + 1);
        var rows = Enumerable.Range(0, batch).Select(b => (IReadOnlyList<int>)Tokens(DecodePromptLength, b, model.Shape.VocabSize)).ToList();
        var input = model.Input(rows, cache, lastOnly: true);
        var next = model.Transformer.Forward(input).argmax(-1).cpu();                    // [batch, 1]
        using var recording = record?.Invoke();
        var clock = Stopwatch.StartNew();
        for (var step = 0; step < steps; step++)
        {
            using var stepScope = NewDisposeScope();
            // The host sync a sampler needs each step is part of the cost being measured.
            var ids = next.data<long>().ToArray();
            var nextIds = tensor(ids, [batch, 1], ScalarType.Int64, model.Transformer.Device);
            next = model.Transformer.Forward(input with { Ids = nextIds }).argmax(-1).cpu().MoveToOuterDisposeScope();
        }
        return batch * steps / clock.Elapsed.TotalSeconds;
    }

    private static int DecodeSteps(LanguageModel model, int maxSteps) => Math.Min(maxSteps, model.Shape.ContextLength - DecodePromptLength);

    /// <summary>Batch-1 decoding steps timed by operation, after a warm-up.</summary>
    private static DecodeProfile Profile(LanguageModel model)
    {
        Decode(model, 1, WarmUpSteps);
        OperationProfiler.Recording? recording = null;
        var tokensPerSecond = Decode(model, 1, DecodeTokens, () => recording = OperationProfiler.Start());
        var steps = DecodeSteps(model, DecodeTokens);
        var seconds = recording!.Seconds();
        return new DecodeProfile(steps, 1 / tokensPerSecond,
            Enum.GetValues<ProfiledOperation>().ToDictionary(o => o, o => seconds[(int)o] / steps));
    }

    /// <summary>
    /// Seconds per decoding step of a compare batch over those of one row, each the median of three generations timed
    /// from their first token to their last (the prompt pass excluded), as <c>steer compare</c> runs them.
    /// </summary>
    private static double CompareStepRatio(LanguageModel model)
    {
        var steps = DecodeSteps(model, DecodeTokens + 1) - 1;
        var prompt = Tokens(DecodePromptLength, 0, model.Shape.VocabSize);
        var values = Enumerable.Range(0, model.Shape.ModelDim).Select(i => (float)Math.Sin(i)).ToArray();
        var vector = new SteeringVector([SteeringComponent.Row($"blocks.{model.Shape.Layers / 2}.hook_resid_pre", values)]);
        var options = new GenerationOptions { MaxNewTokens = steps, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false, Seed = 1 };
        var unsteered = new GenerationItem(prompt, options);
        double StepSeconds(IReadOnlyList<GenerationItem> items)
        {
            var times = new List<double>();
            for (var run = 0; run < 3; run++)
            {
                Stopwatch? clock = null;
                var last = 0.0;
                model.GenerateMany(items, token =>
                {
                    if (token.Item == 0 && token.Completion == 0)
                    {
                        clock ??= Stopwatch.StartNew();
                        last = clock.Elapsed.TotalSeconds;
                    }
                    return true;
                });
                times.Add(last / (steps - 1));
            }
            times.Sort();
            return times[1];
        }
        StepSeconds([unsteered]);   // warm-up
        return StepSeconds([unsteered, unsteered with { Steering = vector }]) / StepSeconds([unsteered]);
    }

    /// <summary>The process's peak resident set (VmHWM), or 0 where /proc is not available.</summary>
    public static long PeakRssBytes() => ProcStatusKilobytes("VmHWM:") * 1024;

    public static long CurrentRssBytes() => ProcStatusKilobytes("VmRSS:") * 1024;

    private static long ProcStatusKilobytes(string field)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0]);
    }
}
