using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using Steer.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.IO;

/// <summary>
/// Writes safetensors files. The layout overload streams: the header is written from the declared
/// layout first, then each tensor is produced, written and disposed in turn, so a model of any size
/// needs only one tensor in memory at a time. Output goes to "path.tmp" and is renamed into place,
/// so a crash never leaves a half-written file under the real name.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Bytes written per step, also the bound on the temporary used for dtype conversion.</summary>
    private const long ChunkBytes = 16 * 1024 * 1024;

    /// <summary>Writes tensors the caller already holds, in their own dtypes; the tensors are not disposed.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var layout = list.Select(t => (t.Name, DTypeOf(t.Name, t.Tensor), t.Tensor.shape)).ToList();
        WriteCore(path, layout, i => list[i].Tensor, ownsTensors: false, metadata);
    }

    /// <summary>
    /// Writes the header for <paramref name="layout"/>, then for each entry calls <paramref name="produce"/>(i),
    /// writes its values converted to the declared dtype (torch's round-to-nearest-even), and disposes it
    /// before producing the next.
    /// </summary>
    public static void Write(string path, IReadOnlyList<(string Name, SafetensorsDType DType, long[] Shape)> layout,
        Func<int, Tensor> produce, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(produce);
        WriteCore(path, layout, produce, ownsTensors: true, metadata);
    }

    private static void WriteCore(string path, IReadOnlyList<(string Name, SafetensorsDType DType, long[] Shape)> layout,
        Func<int, Tensor> produce, bool ownsTensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
            throw new SteerException(ErrorKind.Environment, "Writing safetensors requires a little-endian machine.");
        TorchRuntime.EnsureLoaded();
        var header = BuildHeader(layout, metadata);

        var temporary = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                for (var i = 0; i < layout.Count; i++)
                {
                    var tensor = produce(i) ?? throw new InvalidOperationException($"The producer returned null for tensor '{layout[i].Name}'.");
                    try
                    {
                        WriteTensor(stream, layout[i], tensor);
                    }
                    finally
                    {
                        if (ownsTensors) tensor.Dispose();
                    }
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

    private static byte[] BuildHeader(IReadOnlyList<(string Name, SafetensorsDType DType, long[] Shape)> layout,
        IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps non-ASCII tensor names readable; quotes and control characters are still escaped.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            foreach (var (name, dtype, shape) in layout)
            {
                if (string.IsNullOrEmpty(name) || name == "__metadata__" || !names.Add(name))
                    throw new ArgumentException($"Tensor name '{name}' is empty, reserved or repeated.", nameof(layout));
                var count = shape is null || shape.Any(d => d < 0) ? null : SafetensorsDTypes.ElementCount(shape);
                if (count is null || count > long.MaxValue / dtype.ItemSize())
                    throw new ArgumentException($"Tensor '{name}' has an invalid shape.", nameof(layout));
                var length = count.Value * dtype.ItemSize();

                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.ToString());
                json.WriteStartArray("shape");
                foreach (var dim in shape!) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += length;
            }
            json.WriteEndObject();
        }

        // Pad with spaces (legal JSON whitespace) so the data section starts 8-byte aligned, as the
        // reference implementation does; memory-mapping readers rely on that alignment.
        var padding = (int)((8 - (8 + buffer.Length) % 8) % 8);
        for (var i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteTensor(FileStream stream, (string Name, SafetensorsDType DType, long[] Shape) entry, Tensor tensor)
    {
        if (!tensor.shape.SequenceEqual(entry.Shape))
            throw new ArgumentException($"Tensor '{entry.Name}' has shape [{string.Join(", ", tensor.shape)}] " +
                $"but the layout declares [{string.Join(", ", entry.Shape)}].");
        if (tensor.numel() == 0) return;

        // Copies happen only for the unusual cases (non-CPU or strided input); the common case writes in place.
        using var cpu = tensor.device_type == DeviceType.CPU ? tensor.alias() : tensor.cpu();
        using var contiguous = cpu.is_contiguous() ? cpu.alias() : cpu.contiguous();
        using var flat = contiguous.view(-1);

        var target = entry.DType.ToScalarType();
        var chunk = Math.Max(1, ChunkBytes / Math.Max(entry.DType.ItemSize(), (int)flat.element_size()));
        var count = flat.numel();
        for (long start = 0; start < count; start += chunk)
        {
            using var part = flat.narrow(0, start, Math.Min(chunk, count - start));
            if (part.dtype == target)
            {
                stream.Write(part.bytes);
            }
            else
            {
                using var converted = part.to_type(target);
                stream.Write(converted.bytes);
            }
        }
    }

    private static SafetensorsDType DTypeOf(string name, Tensor tensor) =>
        SafetensorsDTypes.FromScalarType(tensor.dtype)
        ?? throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors files here cannot hold.");

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
