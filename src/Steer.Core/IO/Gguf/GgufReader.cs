using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Steer.IO.Gguf;

/// <summary>
/// Sequential little-endian reads from the start of a GGUF file that never go past its end. Every length or
/// count the file states is checked against the bytes that remain before anything is allocated for it, so a
/// lying header costs an error message, not gigabytes. All failures are <see cref="SteerException"/>
/// (InvalidModel) naming the file, what was being read (<see cref="Context"/>) and the byte offset.
/// </summary>
internal sealed class GgufReader
{
    // Strict: a key or tensor name that is not UTF-8 is corruption, and decoding it lossily would break round trips.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _stream;

    public GgufReader(string path, Stream stream)
    {
        Path = path;
        _stream = stream;
        Length = stream.Length;
        _stream.Position = 0;
    }

    public string Path { get; }

    public long Length { get; }

    public long Position { get; private set; }

    public long Remaining => Length - Position;

    /// <summary>What is being read, for error messages ("the header", "the value of key 'x'", "tensor info 3").</summary>
    public string Context { get; set; } = "the header";

    public void ReadExactly(Span<byte> buffer)
    {
        if (buffer.Length > Remaining)
            throw Truncated(buffer.Length);
        try
        {
            _stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            // Only if the file shrank after its length was taken; still the file's fault, not a crash.
            throw Truncated(buffer.Length);
        }
        Position += buffer.Length;
    }

    public byte ReadUInt8()
    {
        Span<byte> b = stackalloc byte[1];
        ReadExactly(b);
        return b[0];
    }

    public ushort ReadUInt16()
    {
        Span<byte> b = stackalloc byte[2];
        ReadExactly(b);
        return BinaryPrimitives.ReadUInt16LittleEndian(b);
    }

    public uint ReadUInt32()
    {
        Span<byte> b = stackalloc byte[4];
        ReadExactly(b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public ulong ReadUInt64()
    {
        Span<byte> b = stackalloc byte[8];
        ReadExactly(b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>A GGUF string: uint64 byte length, then that many UTF-8 bytes (no terminator).</summary>
    public string ReadString(string what)
    {
        var start = Position;
        var length = ReadUInt64();
        if (length > (ulong)Array.MaxLength)
            throw Invalid($"{what} at byte {start} claims {length} bytes, more than one string can hold");
        if (length > (ulong)Remaining)
            throw Invalid($"{what} at byte {start} claims {length} bytes, but only {Remaining} remain " +
                "(the file is truncated or the length is corrupt)");
        var bytes = new byte[(int)length];
        ReadExactly(bytes);
        try
        {
            return Utf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid($"{what} at byte {start} is not valid UTF-8");
        }
    }

    /// <summary>
    /// A count of items that each take at least <paramref name="minimumBytes"/> on disk, checked against what
    /// remains (so an allocation for them is bounded by the file size), as an int for array sizing.
    /// </summary>
    public int CheckCount(ulong count, int minimumBytes, string what)
    {
        var most = (ulong)Remaining / (ulong)minimumBytes;
        if (count > most || count > (ulong)Array.MaxLength)
            throw Invalid($"{what} is {count}, but the {Remaining} bytes left in the file can hold at most {most} " +
                "(the file is truncated or the count is corrupt)");
        return (int)count;
    }

    /// <summary>Reads <paramref name="count"/> fixed-size little-endian items straight into a new array.</summary>
    public T[] ReadArray<T>(int count) where T : unmanaged
    {
        // The count was bounded by CheckCount against the remaining bytes, so this allocation is too.
        if ((long)count * Unsafe.SizeOf<T>() > Array.MaxLength)
            throw Invalid($"an array of {count} items of {Unsafe.SizeOf<T>()} bytes is larger than one array can hold");
        var items = new T[count];
        ReadExactly(MemoryMarshal.AsBytes(items.AsSpan()));
        return items;
    }

    public void Skip(long bytes)
    {
        if (bytes > Remaining) throw Truncated(bytes);
        Position += bytes;
        _stream.Position = Position;
    }

    public SteerException Invalid(string detail) =>
        new(ErrorKind.InvalidModel, $"'{Path}' is not a valid GGUF file: {Context}: {detail}.");

    private SteerException Truncated(long wanted) =>
        Invalid($"the file is truncated: {wanted} more bytes are needed at byte {Position}, but it is {Length} bytes long");
}
