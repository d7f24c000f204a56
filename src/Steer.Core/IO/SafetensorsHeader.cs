using System.Buffers.Binary;
using System.Text.Json;

namespace Steer.IO;

/// <summary>One tensor of a safetensors file; Begin/End are byte offsets relative to the data section.</summary>
public sealed record SafetensorsEntry(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Number of elements (1 for a scalar, 0 when any dimension is 0).</summary>
    public long ElementCount => SafetensorsDTypes.ElementCount(Shape) ?? throw new OverflowException("Shape overflows.");

    /// <summary>Bytes the tensor occupies in the file.</summary>
    public long ByteLength => End - Begin;
}

/// <summary>
/// Parses and validates a safetensors header. Everything the reader later relies on is checked here,
/// so that a header which lies (about sizes, offsets or types) fails at open with a precise message
/// instead of producing a model with garbage weights.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Headers of real models are a few hundred KB; anything this large is corruption or hostile.</summary>
    internal const long MaxHeaderLength = 100L * 1024 * 1024;

    private const string MetadataKey = "__metadata__";

    private readonly string _path;

    private SafetensorsHeader(string path) => _path = path;

    /// <summary>Absolute file offset where the data section starts (8 + header length).</summary>
    public long DataStart { get; private set; }

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public List<SafetensorsEntry> Entries { get; } = [];

    public static SafetensorsHeader Read(string path, FileStream stream)
    {
        var header = new SafetensorsHeader(path);
        header.Parse(stream);
        return header;
    }

    private void Parse(FileStream stream)
    {
        var fileLength = stream.Length;
        if (fileLength < 8)
            throw Invalid($"the file is {fileLength} bytes, shorter than the 8-byte header length prefix");

        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, 0);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
            throw Invalid($"the header length {headerLength} bytes is absurd (limit {MaxHeaderLength}); the file is corrupt or not safetensors");
        if ((long)headerLength > fileLength - 8)
            throw Invalid($"the header length {headerLength} bytes goes beyond the end of the {fileLength}-byte file; the file is truncated or not safetensors");

        DataStart = 8 + (long)headerLength;
        var json = new byte[headerLength];
        ReadExactly(stream, json, 8);
        ParseJson(json);
        CheckExtents(fileLength - DataStart);
    }

    private void ParseJson(byte[] json)
    {
        JsonDocument document;
        try
        {
            // Trailing spaces (the format's header padding) are JSON whitespace, so the parser accepts them.
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Invalid($"the header is not valid JSON ({e.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid($"the header is a JSON {document.RootElement.ValueKind}, not an object");
            if (UntrustedJson.UnreadableString(document.RootElement) is { } problem)
                throw Invalid($"the header is not valid JSON: {problem}");

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Invalid($"the header names '{property.Name}' twice");
                if (property.Name == MetadataKey)
                    ParseMetadata(property.Value);
                else
                    Entries.Add(ParseEntry(property.Name, property.Value));
            }
        }
    }

    private void ParseMetadata(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid($"'{MetadataKey}' is a JSON {value.ValueKind}, not an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Invalid($"metadata value '{item.Name}' is a JSON {item.Value.ValueKind}, not a string");
            Metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private SafetensorsEntry ParseEntry(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid($"tensor '{name}' is described by a JSON {value.ValueKind}, not an object");

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Invalid($"tensor '{name}' has no dtype string");
        var dtypeName = dtypeElement.GetString()!;
        var dtype = SafetensorsDTypes.Parse(dtypeName)
            ?? throw Invalid($"tensor '{name}' has unsupported dtype '{dtypeName}' (supported: {string.Join(", ", Enum.GetNames<SafetensorsDType>())})");

        var shape = ReadIntegers(name, value, "shape");
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
                throw Invalid($"tensor '{name}' has negative dimension {shape[i]} in shape [{string.Join(", ", shape)}]");
        }

        var offsets = ReadIntegers(name, value, "data_offsets");
        if (offsets.Length != 2)
            throw Invalid($"tensor '{name}' has {offsets.Length} data_offsets, expected 2 (begin, end)");
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin < 0 || end < begin)
            throw Invalid($"tensor '{name}' has invalid data_offsets [{begin}, {end}]");

        long? byteLength = SafetensorsDTypes.ElementCount(shape) is { } count && count <= long.MaxValue / dtype.ItemSize()
            ? count * dtype.ItemSize()
            : null;
        if (byteLength is null)
            throw Invalid($"tensor '{name}' has shape [{string.Join(", ", shape)}] whose size overflows");
        if (end - begin != byteLength)
            throw Invalid($"tensor '{name}' ({dtypeName}, shape [{string.Join(", ", shape)}]) needs {byteLength} bytes but its data_offsets [{begin}, {end}] span {end - begin}");

        return new SafetensorsEntry(name, dtype, Array.AsReadOnly(shape), begin, end);
    }

    private long[] ReadIntegers(string name, JsonElement value, string property)
    {
        if (!value.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Invalid($"tensor '{name}' has no {property} array");
        var result = new long[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out result[i++]))
                throw Invalid($"tensor '{name}' has a {property} entry that is not an integer: {item.GetRawText()}");
        }
        return result;
    }

    /// <summary>
    /// The tensors must tile the data section exactly: no overlaps (two names aliasing one buffer),
    /// no gaps and nothing after the last tensor (bytes nobody accounts for mean the header lies),
    /// and nothing beyond the end of the file (a truncated download).
    /// </summary>
    private void CheckExtents(long dataLength)
    {
        Entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));

        var last = Entries.Count == 0 ? null : Entries.MaxBy(e => e.End);
        if (last is not null && last.End > dataLength)
            throw Invalid($"the file is truncated: tensor '{last.Name}' ends at data offset {last.End}, so the file should be " +
                $"at least {DataStart + last.End} bytes, but it is {DataStart + dataLength} bytes");

        long position = 0;
        SafetensorsEntry? previous = null;
        foreach (var entry in Entries)
        {
            if (entry.Begin < position)
                throw Invalid($"tensor '{entry.Name}' [{entry.Begin}, {entry.End}] overlaps tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            if (entry.Begin > position)
                throw Invalid($"there is a gap of {entry.Begin - position} bytes before tensor '{entry.Name}' at data offset {position}; the header does not describe the data");
            position = entry.End;
            previous = entry;
        }

        if (position != dataLength)
            throw Invalid($"the data section is {dataLength} bytes but the tensors cover only {position}; the header does not describe the data");
    }

    private static void ReadExactly(FileStream stream, Span<byte> buffer, long offset)
    {
        stream.Position = offset;
        stream.ReadExactly(buffer);
    }

    private SteerException Invalid(string detail) =>
        new(ErrorKind.InvalidModel, $"'{_path}' is not a valid safetensors file: {detail}.");
}
