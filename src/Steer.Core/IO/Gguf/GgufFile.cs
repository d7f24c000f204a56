using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Steer.IO.Gguf;

/// <summary>A tensor's description; <see cref="Offset"/> is relative to the start of the file's tensor data section.</summary>
/// <param name="Dims">In ggml order: <c>Dims[0]</c> is the fastest-varying (innermost) dimension, the reverse of numpy/torch.</param>
/// <param name="ByteLength">Bytes of data, without the padding that follows it.</param>
internal sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Dims, GgmlType Type, long Offset, long ElementCount, long ByteLength);

/// <summary>
/// A GGUF file (llama.cpp's container) opened for reading. <see cref="Open"/> parses and validates everything
/// before the tensor data; tensor data is read on demand with positional reads, so the description stays
/// immutable and concurrent reads do not interfere. Holds the file open until disposed.
/// </summary>
internal sealed class GgufFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly long _length;
    private readonly Dictionary<string, GgufTensorInfo> _byName;
    private bool _disposed;

    private GgufFile(string path, FileStream stream, long length, GgufLayout layout)
    {
        Path = path;
        _stream = stream;
        _length = length;
        Version = layout.Version;
        Metadata = layout.Metadata;
        Tensors = layout.Tensors;
        Alignment = layout.Alignment;
        DataStart = layout.DataStart;
        _byName = layout.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>2 or 3 (they differ only in that 3 allows big-endian files, which are refused here).</summary>
    public uint Version { get; }

    /// <summary>The key/value pairs in file order; keys are unique.</summary>
    public IReadOnlyList<(string Key, GgufValue Value)> Metadata { get; }

    /// <summary>The tensors in file order (the order of their infos, not necessarily of their data).</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>From <c>general.alignment</c>, 32 when absent.</summary>
    public int Alignment { get; }

    /// <summary>Absolute file offset of the tensor data section, to which tensor offsets are relative.</summary>
    public long DataStart { get; }

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="SteerException"/> (InvalidModel) when malformed.</summary>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Values and tensor data are reinterpreted in place from little-endian bytes.
        if (!BitConverter.IsLittleEndian)
            throw new SteerException(ErrorKind.Environment, "Reading GGUF files requires a little-endian machine.");

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SteerException(ErrorKind.NotFound, $"GGUF file '{path}' does not exist.", e);
        }

        try
        {
            var reader = new GgufReader(path, stream);
            return new GgufFile(path, stream, reader.Length, GgufParser.Parse(reader));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public GgufValue? Find(string key) => Metadata.Find(key);

    /// <summary>The string stored under <paramref name="key"/>; false when absent or not a string.</summary>
    public bool TryGetString(string key, [NotNullWhen(true)] out string? value) => Metadata.TryGetString(key, out value);

    /// <summary>The integer (of any of the eight integer types) stored under <paramref name="key"/>; false when absent or not an integer.</summary>
    public bool TryGetInteger(string key, out long value) => Metadata.TryGetInteger(key, out value);

    public GgufTensorInfo? FindTensor(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// The tensor's values as floats, in file order (ggml order: <c>Dims[0]</c> varies fastest). F32 is copied
    /// as is, F16 and BF16 are widened exactly; any other type is refused with a message naming it.
    /// </summary>
    public float[] ReadFloats(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (FindTensor(tensor.Name) != tensor)
            throw new ArgumentException($"Tensor '{tensor.Name}' is not a tensor of '{Path}'.", nameof(tensor));
        if (tensor.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
            throw new SteerException(ErrorKind.InvalidModel,
                $"Tensor '{tensor.Name}' in '{Path}' is stored as {GgufTypes.Name(tensor.Type)}, which cannot be read as floats here (supported: F32, F16, BF16).");
        if (tensor.ElementCount > Array.MaxLength)
            throw new SteerException(ErrorKind.InvalidModel,
                $"Tensor '{tensor.Name}' in '{Path}' has {tensor.ElementCount} elements, more than one array can hold.");

        var count = (int)tensor.ElementCount;
        var values = new float[count];
        if (tensor.Type == GgmlType.F32)
        {
            ReadBytes(tensor, MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }

        var halves = new ushort[count];
        ReadBytes(tensor, MemoryMarshal.AsBytes(halves.AsSpan()));
        for (var i = 0; i < count; i++)
        {
            // Both conversions are exact: every half and every bfloat16 is representable as a float.
            values[i] = tensor.Type == GgmlType.F16
                ? (float)BitConverter.UInt16BitsToHalf(halves[i])
                : BitConverter.UInt32BitsToSingle((uint)halves[i] << 16);
        }
        return values;
    }

    /// <summary>The tensor named <paramref name="name"/> as floats; throws <see cref="SteerException"/> (InvalidModel) when absent.</summary>
    public float[] ReadFloats(string name) =>
        ReadFloats(FindTensor(name) ?? throw new SteerException(ErrorKind.InvalidModel, $"'{Path}' has no tensor '{name}'."));

    private void ReadBytes(GgufTensorInfo tensor, Span<byte> buffer)
    {
        // Positional reads: no shared stream position, so concurrent readers cannot interfere.
        var position = DataStart + tensor.Offset;
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(_stream.SafeFileHandle, buffer, position);
            if (read == 0)
                throw new SteerException(ErrorKind.InvalidModel,
                    $"'{Path}' is truncated: it ended while reading tensor '{tensor.Name}' (it was {_length} bytes when opened; was it modified since?).");
            buffer = buffer[read..];
            position += read;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _stream.Dispose();
    }
}
