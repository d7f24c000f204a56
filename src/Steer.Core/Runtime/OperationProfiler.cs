using System.Diagnostics;

namespace Steer.Runtime;

/// <summary>The kinds of work a forward pass is split into by <c>steer bench --profile</c>.</summary>
public enum ProfiledOperation
{
    /// <summary>The blocks' linear layers, bias included.</summary>
    WeightProducts,
    /// <summary>The final product with the unembedding.</summary>
    Logits,
    /// <summary>LayerNorm or RMSNorm, the final one included.</summary>
    Norms,
    /// <summary>Attention over the keys and values (scores, softmax, mix), rotary embeddings included.</summary>
    Attention,
    /// <summary>Writing this pass's keys and values into the KV cache.</summary>
    CacheWrites,
    /// <summary>The MLP's nonlinearity (GELU, or SiLU times the up projection).</summary>
    Activation,
    /// <summary>Adding attention's and the MLP's outputs to the residual stream.</summary>
    ResidualAdds,
    /// <summary>Token and position embeddings.</summary>
    Embedding,
}

/// <summary>
/// Wall time per <see cref="ProfiledOperation"/> on the calling thread, accumulated only while
/// a <see cref="Recording"/> is open there; elsewhere a <see cref="Time"/> section costs one thread-static read.
/// The operations are synchronous CPU work (libtorch on the CPU and Steer's kernels return when done), so a
/// section's wall time is that operation's time.
/// </summary>
internal static class OperationProfiler
{
    private static readonly int Count = Enum.GetValues<ProfiledOperation>().Length;

    [ThreadStatic] private static long[]? _ticks;

    /// <summary>Records sections on this thread until the recording is disposed.</summary>
    public static Recording Start() => new(Count);

    /// <summary>Sections recorded on one thread; disposing it restores whatever was recording before.</summary>
    public sealed class Recording : IDisposable
    {
        private readonly long[]? _outer;
        private readonly long[] _ticks;

        internal Recording(int count)
        {
            _outer = OperationProfiler._ticks;
            _ticks = new long[count];
            OperationProfiler._ticks = _ticks;
        }

        /// <returns>seconds per operation so far, indexed by <see cref="ProfiledOperation"/></returns>
        public double[] Seconds() => _ticks.Select(t => (double)t / Stopwatch.Frequency).ToArray();

        public void Dispose() => OperationProfiler._ticks = _outer;
    }

    /// <summary>Times the work until the section is disposed, when a profile is being recorded on this thread.</summary>
    public static Section Time(ProfiledOperation operation) =>
        _ticks is null ? default : new Section(_ticks, operation, Stopwatch.GetTimestamp());

    public readonly struct Section(long[]? ticks, ProfiledOperation operation, long start) : IDisposable
    {
        public void Dispose()
        {
            if (ticks is not null) ticks[(int)operation] += Stopwatch.GetTimestamp() - start;
        }
    }
}
