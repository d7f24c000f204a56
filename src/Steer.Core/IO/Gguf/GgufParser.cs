using System.Buffers.Binary;

namespace Steer.IO.Gguf;

/// <summary>Everything before a GGUF file's tensor data, parsed and validated.</summary>
internal sealed record GgufLayout(
    uint Version,
    IReadOnlyList<(string Key, GgufValue Value)> Metadata,
    IReadOnlyList<GgufTensorInfo> Tensors,
    int Alignment,
    long DataStart);

/// <summary>
/// Parses a GGUF header (ggml/docs/gguf.md): magic "GGUF", uint32 version, uint64 tensor count, uint64 metadata
/// count, the key/value pairs, the tensor infos, then padding to the alignment where the tensor data starts.
/// Everything later reads depend on is checked here, so a file that lies fails at open with a precise message.
/// </summary>
internal static class GgufParser
{
    public const string AlignmentKey = "general.alignment";
    public const int DefaultAlignment = 32;

    /// <summary>ggml tensors have at most 4 dimensions (GGML_MAX_DIMS).</summary>
    public const int MaxDims = 4;

    /// <summary>Real files nest arrays at most once; the bound keeps a hostile file from exhausting the stack.</summary>
    private const int MaxArrayDepth = 8;

    /// <summary>The smallest key/value pair: an empty key (8), its type (4), a one-byte value.</summary>
    private const int MinimumKeyValueBytes = 13;

    /// <summary>The smallest tensor info: an empty name (8), n_dims (4), one dimension (8), type (4), offset (8).</summary>
    private const int MinimumTensorInfoBytes = 32;

    private static ReadOnlySpan<byte> Magic => "GGUF"u8;

    public static GgufLayout Parse(GgufReader reader)
    {
        Span<byte> magic = stackalloc byte[4];
        if (reader.Length < 4 || ReadMagic(reader, magic) is false)
            throw new SteerException(ErrorKind.InvalidModel, reader.Length < 4
                ? $"'{reader.Path}' is not a GGUF file: it is only {reader.Length} bytes long."
                : $"'{reader.Path}' is not a GGUF file: it starts with bytes {Convert.ToHexString(magic)}, not \"GGUF\".");

        var version = reader.ReadUInt32();
        CheckVersion(reader, version);
        var tensorCount = reader.ReadUInt64();
        var keyCount = reader.ReadUInt64();
        var keys = reader.CheckCount(keyCount, MinimumKeyValueBytes, "the number of metadata key/value pairs");
        reader.CheckCount(tensorCount, MinimumTensorInfoBytes, "the number of tensors");

        var metadata = ReadMetadata(reader, keys);
        var alignment = AlignmentOf(reader, metadata);
        var tensors = ReadTensorInfos(reader, (int)tensorCount);

        // Tensor data starts at the next multiple of the alignment; a file without tensors may end before that.
        reader.Context = "the tensor data";
        var dataStart = AlignUp(reader.Position, alignment);
        if (tensors.Count > 0 && dataStart > reader.Length)
            throw reader.Invalid($"the file is truncated: the tensor data should start at byte {dataStart}, but the file is {reader.Length} bytes long");
        CheckExtents(reader, tensors, alignment, Math.Max(0, reader.Length - dataStart));
        return new GgufLayout(version, metadata.AsReadOnly(), tensors.AsReadOnly(), alignment, dataStart);
    }

    public static long AlignUp(long position, int alignment) => (position + alignment - 1) / alignment * alignment;

    private static bool ReadMagic(GgufReader reader, Span<byte> magic)
    {
        reader.ReadExactly(magic);
        return magic.SequenceEqual(Magic);
    }

    private static void CheckVersion(GgufReader reader, uint version)
    {
        if (version is 2 or 3) return;
        // Version 3 allows big-endian files; their version field read little-endian comes out byte-swapped.
        var swapped = BinaryPrimitives.ReverseEndianness(version);
        throw reader.Invalid(swapped is >= 1 and <= 3
            ? $"it is a big-endian GGUF file (version {swapped}); only little-endian files are supported"
            : $"version {version} is not supported (only versions 2 and 3; version 1 is the 2023 pre-release format)");
    }

    private static List<(string Key, GgufValue Value)> ReadMetadata(GgufReader reader, int count)
    {
        var metadata = new List<(string, GgufValue)>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            reader.Context = $"metadata key/value pair {i}";
            var key = reader.ReadString("the key");
            reader.Context = $"the value of metadata key '{key}'";
            if (!seen.Add(key))
                throw reader.Invalid("the key appears twice");
            var type = (GgufValueType)reader.ReadUInt32();
            metadata.Add((key, ReadValue(reader, type, depth: 0)));
        }
        return metadata;
    }

    private static GgufValue ReadValue(GgufReader reader, GgufValueType type, int depth) => type switch
    {
        GgufValueType.UInt8 => GgufValue.UInt8(reader.ReadUInt8()),
        GgufValueType.Int8 => GgufValue.Int8((sbyte)reader.ReadUInt8()),
        GgufValueType.UInt16 => GgufValue.UInt16(reader.ReadUInt16()),
        GgufValueType.Int16 => GgufValue.Int16((short)reader.ReadUInt16()),
        GgufValueType.UInt32 => GgufValue.UInt32(reader.ReadUInt32()),
        GgufValueType.Int32 => GgufValue.Int32((int)reader.ReadUInt32()),
        GgufValueType.UInt64 => GgufValue.UInt64(reader.ReadUInt64()),
        GgufValueType.Int64 => GgufValue.Int64((long)reader.ReadUInt64()),
        GgufValueType.Float32 => GgufValue.Float32(BitConverter.UInt32BitsToSingle(reader.ReadUInt32())),
        GgufValueType.Float64 => GgufValue.Float64(BitConverter.UInt64BitsToDouble(reader.ReadUInt64())),
        GgufValueType.Bool => GgufValue.Bool(ToBool(reader, reader.ReadUInt8())),
        GgufValueType.String => GgufValue.String(reader.ReadString("the string")),
        GgufValueType.Array => ReadArray(reader, depth),
        _ => throw reader.Invalid($"value type {(uint)type} is unknown (known: 0 to 12)"),
    };

    private static GgufValue ReadArray(GgufReader reader, int depth)
    {
        var elementType = (GgufValueType)reader.ReadUInt32();
        if (!GgufTypes.IsKnown(elementType))
            throw reader.Invalid($"the array's element type {(uint)elementType} is unknown (known: 0 to 12)");
        if (elementType == GgufValueType.Array && depth + 1 >= MaxArrayDepth)
            throw reader.Invalid($"arrays are nested more than {MaxArrayDepth} deep");
        var count = reader.CheckCount(reader.ReadUInt64(), GgufTypes.MinimumSize(elementType),
            $"the length of the array of {GgufTypes.Name(elementType)}");

        Array items = elementType switch
        {
            GgufValueType.UInt8 => reader.ReadArray<byte>(count),
            GgufValueType.Int8 => reader.ReadArray<sbyte>(count),
            GgufValueType.UInt16 => reader.ReadArray<ushort>(count),
            GgufValueType.Int16 => reader.ReadArray<short>(count),
            GgufValueType.UInt32 => reader.ReadArray<uint>(count),
            GgufValueType.Int32 => reader.ReadArray<int>(count),
            GgufValueType.UInt64 => reader.ReadArray<ulong>(count),
            GgufValueType.Int64 => reader.ReadArray<long>(count),
            GgufValueType.Float32 => reader.ReadArray<float>(count),
            GgufValueType.Float64 => reader.ReadArray<double>(count),
            GgufValueType.Bool => Array.ConvertAll(reader.ReadArray<byte>(count), b => ToBool(reader, b)),
            GgufValueType.String => ReadItems(count, () => reader.ReadString("a string item")),
            _ => ReadItems(count, () => ReadArray(reader, depth + 1)),
        };
        return GgufValue.WrapArray(elementType, items);
    }

    private static T[] ReadItems<T>(int count, Func<T> read)
    {
        var items = new T[count];
        for (var i = 0; i < count; i++) items[i] = read();
        return items;
    }

    private static bool ToBool(GgufReader reader, byte value) =>
        value <= 1 ? value == 1 : throw reader.Invalid($"a bool is {value}; only 0 and 1 are valid");

    private static int AlignmentOf(GgufReader reader, List<(string Key, GgufValue Value)> metadata)
    {
        reader.Context = $"metadata key '{AlignmentKey}'";
        if (GgufMetadata.Find(metadata, AlignmentKey) is not { } value) return DefaultAlignment;
        // The spec says uint32; any integer type is accepted, since the value is what matters.
        if (!value.TryGetInteger(out var alignment))
            throw reader.Invalid($"it is a {value}, not an integer");
        if (alignment <= 0 || alignment > 1 << 30 || (alignment & (alignment - 1)) != 0)
            throw reader.Invalid($"the alignment {alignment} is not a power of two (up to 2^30)");
        return (int)alignment;
    }

    private static List<GgufTensorInfo> ReadTensorInfos(GgufReader reader, int count)
    {
        var tensors = new List<GgufTensorInfo>(count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            reader.Context = $"tensor info {i}";
            var name = reader.ReadString("the tensor name");
            reader.Context = $"tensor '{name}'";
            if (!names.Add(name))
                throw reader.Invalid("the tensor name appears twice");
            var nDims = reader.ReadUInt32();
            if (nDims is 0 or > MaxDims)
                throw reader.Invalid($"it has {nDims} dimensions; ggml tensors have 1 to {MaxDims}");
            var dims = new long[nDims];
            long elements = 1;
            for (var d = 0; d < dims.Length; d++)
            {
                var dim = reader.ReadUInt64();
                if (dim > long.MaxValue)
                    throw reader.Invalid($"dimension {d} is {dim}, beyond 2^63 - 1");
                dims[d] = (long)dim;
                // Multiply into 'elements' only when it cannot overflow; a zero dimension makes the product 0 anyway.
                if (dims[d] != 0 && elements > long.MaxValue / dims[d])
                    throw reader.Invalid($"its dimensions [{string.Join(", ", dims.Take(d + 1))}...] have more than 2^63 - 1 elements");
                elements *= dims[d];
            }
            var type = (GgmlType)reader.ReadUInt32();
            var offset = reader.ReadUInt64();
            tensors.Add(Describe(reader, name, dims, type, offset, elements));
        }
        return tensors;
    }

    private static GgufTensorInfo Describe(GgufReader reader, string name, long[] dims, GgmlType type, ulong offset, long elements)
    {
        if (GgufTypes.Layout(type) is not { } layout)
            throw reader.Invalid($"its ggml type {(uint)type} is unknown");
        var (blockSize, blockBytes) = layout;
        if (dims[0] % blockSize != 0)
            throw reader.Invalid($"its rows of {dims[0]} elements are not a whole number of {type} blocks of {blockSize}");
        var blocks = elements / blockSize;
        if (blocks > long.MaxValue / blockBytes)
            throw reader.Invalid($"its {elements} elements of {type} need more than 2^63 - 1 bytes");
        if (offset > long.MaxValue)
            throw reader.Invalid($"its data offset {offset} is beyond 2^63 - 1");
        return new GgufTensorInfo(name, Array.AsReadOnly(dims), type, (long)offset, elements, blocks * blockBytes);
    }

    /// <summary>
    /// Every tensor must start at a multiple of the alignment, end inside the file, and not share bytes with
    /// another (two names aliasing one buffer means the header lies). llama.cpp is stricter and wants them packed
    /// in order; gaps are tolerated here, since they do not make any tensor's bytes ambiguous.
    /// </summary>
    private static void CheckExtents(GgufReader reader, List<GgufTensorInfo> tensors, int alignment, long dataLength)
    {
        foreach (var t in tensors)
        {
            reader.Context = $"tensor '{t.Name}'";
            if (t.Offset % alignment != 0)
                throw reader.Invalid($"its data offset {t.Offset} is not a multiple of the alignment {alignment}");
            if (t.Offset > dataLength || t.ByteLength > dataLength - t.Offset)
                throw reader.Invalid($"the file is truncated: its {t.ByteLength} bytes at data offset {t.Offset} end past the " +
                    $"{dataLength} bytes of tensor data the file holds");
        }

        GgufTensorInfo? previous = null;
        foreach (var t in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.Offset))
        {
            if (previous is not null && t.Offset < previous.Offset + previous.ByteLength)
            {
                reader.Context = $"tensor '{t.Name}'";
                throw reader.Invalid($"its bytes [{t.Offset}, {t.Offset + t.ByteLength}) overlap those of tensor " +
                    $"'{previous.Name}' [{previous.Offset}, {previous.Offset + previous.ByteLength})");
            }
            if (previous is null || t.Offset + t.ByteLength > previous.Offset + previous.ByteLength) previous = t;
        }
    }
}
