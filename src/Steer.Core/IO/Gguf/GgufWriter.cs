using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Steer.IO.Gguf;

/// <summary>
/// Writes GGUF version 3 files of F32 tensors laid out as llama.cpp and gguf-py lay them out: header, the
/// key/value pairs and tensor infos in the caller's order, zero padding to the alignment, then each tensor's
/// data, each padded with zeros to the alignment (so offsets are the running sum of padded sizes). The
/// alignment is 32 unless the metadata sets <c>general.alignment</c>. Output goes to "path.tmp" and is
/// renamed into place, so a crash never leaves a half-written file under the real name.
/// </summary>
internal static class GgufWriter
{
    /// <summary>llama.cpp refuses tensor names of GGML_MAX_NAME (64) bytes or more: they must fit with a terminator.</summary>
    private const int MaxNameBytes = 63;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="f32Tensors">Dims in ggml order (<c>Dims[0]</c> varies fastest); Data holds their product of values.</param>
    public static void Write(string path, IReadOnlyList<(string Key, GgufValue Value)> metadata,
        IReadOnlyList<(string Name, long[] Dims, float[] Data)> f32Tensors)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(f32Tensors);
        if (!BitConverter.IsLittleEndian)
            throw new SteerException(ErrorKind.Environment, "Writing GGUF files requires a little-endian machine.");
        var alignment = CheckMetadata(metadata);
        var offsets = CheckTensors(f32Tensors, alignment);

        var temporary = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                var output = new Output(stream);
                output.Bytes("GGUF"u8);
                output.UInt32(3);
                output.UInt64((ulong)f32Tensors.Count);
                output.UInt64((ulong)metadata.Count);
                foreach (var (key, value) in metadata)
                {
                    output.String(key);
                    output.UInt32((uint)value.Type);
                    WriteValue(output, value);
                }
                for (var i = 0; i < f32Tensors.Count; i++)
                {
                    var (name, dims, _) = f32Tensors[i];
                    output.String(name);
                    output.UInt32((uint)dims.Length);
                    foreach (var dim in dims) output.UInt64((ulong)dim);
                    output.UInt32((uint)GgmlType.F32);
                    output.UInt64((ulong)offsets[i]);
                }
                output.PadTo(alignment);
                foreach (var (_, _, data) in f32Tensors)
                {
                    output.Bytes(MemoryMarshal.AsBytes(data.AsSpan()));
                    output.PadTo(alignment);
                }
                // Durable before the rename, so the name never points at data still in the page cache only.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static int CheckMetadata(IReadOnlyList<(string Key, GgufValue Value)> metadata)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (string.IsNullOrEmpty(key) || !keys.Add(key))
                throw new ArgumentException($"Metadata key '{key}' is empty or repeated.", nameof(metadata));
            ArgumentNullException.ThrowIfNull(value, nameof(metadata));
        }
        if (metadata.Find(GgufParser.AlignmentKey) is not { } alignment) return GgufParser.DefaultAlignment;
        // Readers take the layout from this key, so the file must follow it; llama.cpp reads it as uint32.
        if (alignment.Type != GgufValueType.UInt32 || !alignment.TryGetInteger(out var bytes) ||
            bytes == 0 || bytes > 1 << 30 || (bytes & (bytes - 1)) != 0)
            throw new ArgumentException($"'{GgufParser.AlignmentKey}' must be a uint32 power of two, not {alignment}.", nameof(metadata));
        return (int)bytes;
    }

    private static long[] CheckTensors(IReadOnlyList<(string Name, long[] Dims, float[] Data)> tensors, int alignment)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var offsets = new long[tensors.Count];
        long offset = 0;
        for (var i = 0; i < tensors.Count; i++)
        {
            var (name, dims, data) = tensors[i];
            if (string.IsNullOrEmpty(name) || Utf8.GetByteCount(name) > MaxNameBytes || !names.Add(name))
                throw new ArgumentException($"Tensor name '{name}' is empty, longer than {MaxNameBytes} UTF-8 bytes, or repeated.", nameof(tensors));
            ArgumentNullException.ThrowIfNull(dims, nameof(tensors));
            ArgumentNullException.ThrowIfNull(data, nameof(tensors));
            if (dims.Length is 0 or > GgufParser.MaxDims || dims.Any(d => d < 0))
                throw new ArgumentException($"Tensor '{name}' has dims [{string.Join(", ", dims)}]; ggml tensors have 1 to {GgufParser.MaxDims} non-negative dims.", nameof(tensors));
            // Clamped after every step, so even absurd dims cannot overflow the product.
            Int128 elements = 1;
            foreach (var d in dims) elements = Int128.Min(elements * d, (Int128)long.MaxValue + 1);
            if (elements != data.Length)
                throw new ArgumentException($"Tensor '{name}' has dims [{string.Join(", ", dims)}] but {data.Length} values.", nameof(tensors));
            offsets[i] = offset;
            offset += GgufParser.AlignUp(4L * data.Length, alignment);
        }
        return offsets;
    }

    private static void WriteValue(Output output, GgufValue value)
    {
        switch (value.Payload)
        {
            case byte v: output.Bytes([v]); break;
            case sbyte v: output.Bytes([(byte)v]); break;
            case ushort v: output.UInt16(v); break;
            case short v: output.UInt16((ushort)v); break;
            case uint v: output.UInt32(v); break;
            case int v: output.UInt32((uint)v); break;
            case ulong v: output.UInt64(v); break;
            case long v: output.UInt64((ulong)v); break;
            case float v: output.UInt32(BitConverter.SingleToUInt32Bits(v)); break;
            case double v: output.UInt64(BitConverter.DoubleToUInt64Bits(v)); break;
            case bool v: output.Bytes([v ? (byte)1 : (byte)0]); break;
            case string v: output.String(v); break;
            case Array items:
                // An array's items carry no type tags of their own: the element type covers them all.
                output.UInt32((uint)value.ElementType);
                output.UInt64((ulong)items.Length);
                WriteItems(output, items);
                break;
            default: throw new InvalidOperationException($"Unexpected GGUF payload {value.Payload.GetType()}.");
        }
    }

    private static void WriteItems(Output output, Array items)
    {
        // The CLR lets an sbyte[] match 'byte[]' (int[] 'uint[]', ...); harmless here, since the bytes are the same.
        switch (items)
        {
            case bool[] bools: foreach (var b in bools) output.Bytes([b ? (byte)1 : (byte)0]); break;
            case string[] strings: foreach (var s in strings) output.String(s); break;
            case GgufValue[] arrays: foreach (var a in arrays) WriteValue(output, a); break;
            case byte[] a: output.Bytes(a); break;
            case sbyte[] a: output.Bytes(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case ushort[] a: output.Bytes(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case short[] a: output.Bytes(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case uint[] a: output.Bytes(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case int[] a: output.Bytes(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case ulong[] a: output.Bytes(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case long[] a: output.Bytes(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case float[] a: output.Bytes(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case double[] a: output.Bytes(MemoryMarshal.AsBytes(a.AsSpan())); break;
            default: throw new InvalidOperationException($"Unexpected GGUF array {items.GetType()}.");
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Little-endian primitives over a stream, counting bytes so padding can be computed.</summary>
    private sealed class Output(Stream stream)
    {
        private long _position;

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            _position += bytes.Length;
        }

        public void UInt16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            Bytes(b);
        }

        public void UInt32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            Bytes(b);
        }

        public void UInt64(ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            Bytes(b);
        }

        /// <summary>A GGUF string: uint64 byte length and UTF-8 bytes, no terminator.</summary>
        public void String(string value)
        {
            var bytes = Utf8.GetBytes(value);
            UInt64((ulong)bytes.Length);
            Bytes(bytes);
        }

        public void PadTo(int alignment)
        {
            var padding = (int)(GgufParser.AlignUp(_position, alignment) - _position);
            if (padding > 0) Bytes(new byte[padding]);
        }
    }
}
