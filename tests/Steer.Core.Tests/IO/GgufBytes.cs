using System.Buffers.Binary;
using System.Text;
using Steer.IO.Gguf;

namespace Steer.Tests.IO;

/// <summary>
/// Builds GGUF bytes field by field, with no checks at all, so tests can write the lies a hostile file would tell.
/// Also opens byte arrays as files and asserts how they fail.
/// </summary>
internal sealed class GgufBytes
{
    private readonly MemoryStream _bytes = new();

    public long Length => _bytes.Length;

    public GgufBytes Raw(ReadOnlySpan<byte> bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public GgufBytes U8(byte value) => Raw([value]);

    public GgufBytes U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Raw(b);
    }

    public GgufBytes U64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Raw(b);
    }

    public GgufBytes Str(string value) => StrBytes(Encoding.UTF8.GetBytes(value));

    public GgufBytes StrBytes(byte[] value) => U64((ulong)value.Length).Raw(value);

    public GgufBytes Header(ulong tensors, ulong keys, uint version = 3) => Raw("GGUF"u8).U32(version).U64(tensors).U64(keys);

    /// <summary>A key and its type tag; the caller writes the value.</summary>
    public GgufBytes Key(string key, GgufValueType type) => Str(key).U32((uint)type);

    public GgufBytes Tensor(string name, ulong[] dims, GgmlType type, ulong offset)
    {
        Str(name).U32((uint)dims.Length);
        foreach (var d in dims) U64(d);
        return U32((uint)type).U64(offset);
    }

    public GgufBytes PadTo(int alignment)
    {
        while (_bytes.Length % alignment != 0) _bytes.WriteByte(0);
        return this;
    }

    public GgufBytes Floats(params float[] values)
    {
        foreach (var v in values) U32(BitConverter.SingleToUInt32Bits(v));
        return this;
    }

    public GgufBytes Zeros(int count) => Raw(new byte[count]);

    public byte[] ToArray() => _bytes.ToArray();

    /// <summary>A minimal valid file: one key, <paramref name="tensors"/> F32 [8] tensors packed at 32-byte offsets.</summary>
    public static GgufBytes Valid(int tensors = 1)
    {
        var b = new GgufBytes().Header((ulong)tensors, 1).Key("general.architecture", GgufValueType.String).Str("controlvector");
        for (var i = 0; i < tensors; i++) b.Tensor($"direction.{i + 1}", [8], GgmlType.F32, (ulong)(32 * i));
        b.PadTo(32);
        for (var i = 0; i < tensors; i++) b.Floats(Enumerable.Range(0, 8).Select(x => (float)(x + 10 * i)).ToArray());
        return b;
    }

    /// <summary>Writes <paramref name="bytes"/> to a temporary file and asserts that opening it (and reading every tensor) fails cleanly.</summary>
    public static SteerException OpenFails(byte[] bytes)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.gguf");
        File.WriteAllBytes(path, bytes);
        var error = Should.Throw<SteerException>(() => OpenAndReadAll(path));
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain(path);
        return error;
    }

    public static void OpenAndReadAll(string path)
    {
        using var file = GgufFile.Open(path);
        foreach (var tensor in file.Tensors) file.ReadFloats(tensor);
    }
}
