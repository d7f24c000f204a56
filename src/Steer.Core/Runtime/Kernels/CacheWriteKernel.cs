using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Runtime.Kernels;

/// <summary>
/// Writes one position's keys or values into a layer's KV cache with one memory copy per head, instead of libtorch's
/// narrow and copy_ (two dispatches and a strided copy per tensor: 0.45–0.58 ms of a gpt2-shape decoding step,
/// measured with <c>steer bench --profile</c>). The step's keys are usually a strided view of the fused qkv product,
/// and each head's row of it is contiguous. The cache's shape and address are read once, when it is made.
/// </summary>
internal sealed unsafe class CacheWriteKernel
{
    private readonly byte* _cache;
    private readonly long _batch, _heads, _capacity, _headDim;
    private readonly ScalarType _dtype;

    /// <param name="cache">[batch, heads, capacity, head_dim], contiguous, on the CPU, kept alive by the caller</param>
    public CacheWriteKernel(Tensor cache)
    {
        if (cache.device_type != DeviceType.CPU || !cache.is_contiguous() || cache.dim() != 4)
            throw new ArgumentException("the cache must be a contiguous CPU tensor [batch, heads, capacity, head_dim]");
        (_batch, _heads, _capacity, _headDim) = (cache.size(0), cache.size(1), cache.size(2), cache.size(3));
        _dtype = cache.dtype;
        _cache = DataPointer(cache);
    }

    /// <summary>Whether <paramref name="source"/> is one position [batch, heads, 1, head_dim] of this cache's shape and dtype, with contiguous rows.</summary>
    public bool Handles(Tensor source) =>
        SmallBatchLinear.Enabled
        && source.dtype == _dtype && source.device_type == DeviceType.CPU && !source.requires_grad
        && source.dim() == 4 && source.size(2) == 1 && source.stride(3) == 1
        && source.size(0) == _batch && source.size(1) == _heads && source.size(3) == _headDim;

    /// <summary>cache[:, :, position, :] = source[:, :, 0, :]</summary>
    public void Write(Tensor source, long position)
    {
        if (position < 0 || position >= _capacity) throw new ArgumentOutOfRangeException(nameof(position));
        var element = source.ElementSize;
        var from = DataPointer(source);
        var (batchStride, headStride) = (source.stride(0), source.stride(1));
        var rowBytes = _headDim * element;
        for (var b = 0L; b < _batch; b++)
            for (var h = 0L; h < _heads; h++)
                Buffer.MemoryCopy(from + (b * batchStride + h * headStride) * element,
                    _cache + (((b * _heads + h) * _capacity) + position) * rowBytes, rowBytes, rowBytes);
    }

    /// <summary>
    /// The address of a tensor's first element, views included. TorchSharp's <c>bytes</c> wants a contiguous tensor, and
    /// its <c>storage&lt;T&gt;()</c> converts to T's dtype first (a copy), so the storage's base comes from LibTorchSharp.
    /// </summary>
    private static byte* DataPointer(Tensor tensor) =>
        (byte*)THSStorage_data_ptr(tensor.Handle) + tensor.storage_offset() * tensor.ElementSize;

    /// <summary>LibTorchSharp's export behind TorchSharp's Storage.data_ptr: the tensor's storage's first byte.</summary>
    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSStorage_data_ptr(IntPtr tensor);
}
