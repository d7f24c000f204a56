using System.Collections.ObjectModel;
using Steer.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.IO;

/// <summary>
/// A safetensors file opened for reading. The header is parsed and fully validated by <see cref="Open"/>;
/// tensor data is read on demand, straight into caller-owned tensors, so loading a model never needs a
/// second full-size copy of any weight.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>Bytes per read when no conversion is needed: large enough to amortise syscalls, small enough never to matter.</summary>
    private const int DirectChunkBytes = 16 * 1024 * 1024;

    /// <summary>Elements per step when converting dtypes; bounds the temporary tensor to a few MB.</summary>
    private const long ConvertChunkElements = 1024 * 1024;

    private readonly FileStream _stream;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsEntry> _byName;
    private bool _disposed;

    private SafetensorsFile(string path, FileStream stream, SafetensorsHeader header)
    {
        Path = path;
        _stream = stream;
        _dataStart = header.DataStart;
        Metadata = new ReadOnlyDictionary<string, string>(header.Metadata);
        Entries = header.Entries.AsReadOnly();
        _byName = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>The header's "__metadata__" strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All tensors, sorted by their position in the file.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>Opens <paramref name="path"/> and validates its header; throws <see cref="SteerException"/> (InvalidModel) when malformed.</summary>
    public static SafetensorsFile Open(string path)
    {
        // Tensor bytes are copied verbatim into torch storage, and both formats are little-endian only there.
        if (!BitConverter.IsLittleEndian)
            throw new SteerException(ErrorKind.Environment, "Reading safetensors requires a little-endian machine.");

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SteerException(ErrorKind.NotFound, $"Safetensors file '{path}' does not exist.", e);
        }

        try
        {
            return new SafetensorsFile(path, stream, SafetensorsHeader.Read(path, stream));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public SafetensorsEntry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Reads a tensor into a new CPU tensor of its own dtype and shape.</summary>
    public Tensor Read(SafetensorsEntry entry)
    {
        TorchRuntime.EnsureLoaded();
        var tensor = torch.empty(entry.Shape.ToArray(), entry.DType.ToScalarType());
        try
        {
            ReadInto(entry, tensor);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> (contiguous, CPU, same element count; the caller checks the shape)
    /// with the entry's values. Floating-point entries may be read into any floating-point dtype; the
    /// conversion goes through a small temporary tensor, chunk by chunk, using torch's own rounding.
    /// </summary>
    public void ReadInto(SafetensorsEntry entry, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Find(entry.Name) != entry)
            throw new ArgumentException($"Tensor '{entry.Name}' is not an entry of '{Path}'.", nameof(entry));
        if (destination.device_type != DeviceType.CPU || !destination.is_contiguous())
            throw new ArgumentException("The destination must be a contiguous CPU tensor.", nameof(destination));

        TorchRuntime.EnsureLoaded();
        var count = entry.ElementCount;
        if (destination.numel() != count)
            throw new SteerException(ErrorKind.InvalidModel,
                $"Tensor '{entry.Name}' in '{Path}' has {count} elements (shape [{string.Join(", ", entry.Shape)}]) " +
                $"but {destination.numel()} are expected (shape [{string.Join(", ", destination.shape)}]).");
        if (count == 0) return;

        // A flat view lets narrow() hand out sub-spans, so no single Span ever exceeds int.MaxValue bytes.
        using var flat = destination.view(-1);
        if (destination.dtype == entry.DType.ToScalarType())
        {
            ReadDirect(entry, flat);
            return;
        }

        var target = SafetensorsDTypes.FromScalarType(destination.dtype);
        if (!entry.DType.IsFloatingPoint() || target is null || !target.Value.IsFloatingPoint())
            throw new SteerException(ErrorKind.InvalidModel,
                $"Tensor '{entry.Name}' in '{Path}' is stored as {entry.DType}, which cannot be read as {destination.dtype}.");
        ReadConverting(entry, flat);
    }

    private void ReadDirect(SafetensorsEntry entry, Tensor flat)
    {
        var itemSize = entry.DType.ItemSize();
        var chunkElements = Math.Max(1, DirectChunkBytes / itemSize);
        var count = flat.numel();
        for (long start = 0; start < count; start += chunkElements)
        {
            var n = Math.Min(chunkElements, count - start);
            using var part = flat.narrow(0, start, n);
            ReadBytes(entry, part.bytes, _dataStart + entry.Begin + start * itemSize);
        }
    }

    private void ReadConverting(SafetensorsEntry entry, Tensor flat)
    {
        var itemSize = entry.DType.ItemSize();
        var count = flat.numel();
        using var scratch = torch.empty(Math.Min(ConvertChunkElements, count), entry.DType.ToScalarType());
        for (long start = 0; start < count; start += ConvertChunkElements)
        {
            var n = Math.Min(ConvertChunkElements, count - start);
            using var source = scratch.narrow(0, 0, n);
            ReadBytes(entry, source.bytes, _dataStart + entry.Begin + start * itemSize);
            using var part = flat.narrow(0, start, n);
            part.copy_(source);
        }
    }

    private void ReadBytes(SafetensorsEntry entry, Span<byte> buffer, long fileOffset)
    {
        // Positional reads: no shared stream position, so concurrent readers of one file cannot interfere.
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(_stream.SafeFileHandle, buffer, fileOffset);
            if (read == 0)
                throw new SteerException(ErrorKind.InvalidModel,
                    $"'{Path}' is truncated: it ended while reading tensor '{entry.Name}' (was it modified after opening?).");
            buffer = buffer[read..];
            fileOffset += read;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _stream.Dispose();
    }
}
