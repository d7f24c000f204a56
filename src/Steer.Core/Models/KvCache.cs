using Steer.Runtime;
using Steer.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// Keys and values of past positions, preallocated for the whole generation so that a decoding step
/// writes in place instead of growing tensors by concatenation.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;    // per layer [batch, heads, capacity, head_dim]
    private readonly Tensor[] _values;  // per layer [batch, heads, capacity, head_dim]
    private readonly CacheWriteKernel?[] _keyWriters, _valueWriters;
    private bool _disposed;

    internal KvCache(int layers, long batch, long heads, long capacity, long headDim, ScalarType dtype, Device device)
    {
        Capacity = capacity;
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        _keyWriters = new CacheWriteKernel?[layers];
        _valueWriters = new CacheWriteKernel?[layers];
        for (var layer = 0; layer < layers; layer++)
        {
            _keys[layer] = empty([batch, heads, capacity, headDim], dtype, device).DetachFromDisposeScope();
            _values[layer] = empty([batch, heads, capacity, headDim], dtype, device).DetachFromDisposeScope();
            if (device.type != DeviceType.CPU) continue;
            _keyWriters[layer] = new CacheWriteKernel(_keys[layer]);
            _valueWriters[layer] = new CacheWriteKernel(_values[layer]);
        }
    }

    /// <summary>Positions already stored.</summary>
    public long Length { get; private set; }

    public long Capacity { get; }

    /// <summary>Stores this pass's keys and values and returns all keys and values so far.</summary>
    /// <param name="layer">The block.</param>
    /// <param name="key">[batch, heads, new_pos, head_dim]</param>
    /// <param name="value">[batch, heads, new_pos, head_dim]</param>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor key, Tensor value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);   // the writers hold raw addresses into the freed tensors
        using var profiled = OperationProfiler.Time(ProfiledOperation.CacheWrites);
        var added = key.size(2);
        if (Length + added > Capacity)
            throw new SteerException(ErrorKind.InvalidArgument, $"the sequence would exceed the KV cache's {Capacity} positions");
        if (added == 1 && _keyWriters[layer] is { } keys && keys.Handles(key) && _valueWriters[layer] is { } values && values.Handles(value))
        {
            keys.Write(key, Length);
            values.Write(value, Length);
        }
        else
        {
            _keys[layer].narrow(2, Length, added).copy_(key);
            _values[layer].narrow(2, Length, added).copy_(value);
        }
        return (_keys[layer].narrow(2, 0, Length + added), _values[layer].narrow(2, 0, Length + added));
    }

    /// <summary>
    /// A one-query decoding step's attention read straight from this cache (<see cref="DecodeAttention"/>), or null
    /// where the step needs a mask (padding, a sliding window) or the kernel does not apply.
    /// </summary>
    /// <param name="q">[batch, heads, 1, head_dim]</param>
    /// <param name="length">positions to attend to after this step's <see cref="Append"/></param>
    /// <returns>[batch, heads, 1, head_dim]</returns>
    internal Tensor? AttendOneQuery(int layer, Tensor q, AttentionMask mask, long length) =>
        q.size(2) == 1 && mask.Mask is null && !mask.IsCausal && DecodeAttention.Handles(q, _keys[layer], _values[layer])
            ? DecodeAttention.Compute(q, _keys[layer], _values[layer], (int)length)
            : null;

    /// <summary>Called once per forward pass, after every layer appended.</summary>
    internal void Advance(long positions) => Length += positions;

    public void Dispose()
    {
        _disposed = true;
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
