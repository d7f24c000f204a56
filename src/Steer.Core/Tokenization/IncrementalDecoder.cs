using System.Text;

namespace Steer.Tokenization;

/// <summary>
/// Decodes token ids one at a time, for streaming. GPT-2 often splits one character (an emoji, a CJK
/// character) across several tokens, so the bytes of an unfinished character are held back until it is complete.
/// </summary>
/// <remarks>Create one per stream with <see cref="ITokenizer.CreateIncrementalDecoder"/>; not thread-safe.</remarks>
public sealed class IncrementalDecoder
{
    private readonly TokenBytesReader? _tokenBytes;
    private readonly ITokenTextStream? _stream;

    // System.Text.Decoder already keeps an incomplete UTF-8 sequence between calls and replaces invalid
    // bytes with U+FFFD as soon as they cannot start or continue a character, so nothing is held forever.
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();

    internal IncrementalDecoder(TokenBytesReader tokenBytes) => _tokenBytes = tokenBytes;

    /// <summary>A decoder whose tokens are not plain byte strings (e.g. SentencePiece byte fallback), done by <paramref name="stream"/>.</summary>
    internal IncrementalDecoder(ITokenTextStream stream) => _stream = stream;

    /// <summary>Adds one token and returns the text it completes, possibly <c>""</c>.</summary>
    /// <exception cref="SteerException">With <see cref="ErrorKind.InvalidArgument"/> for an id outside the vocabulary.</exception>
    public string Push(int id) => _stream?.Push(id) ?? Decode(_tokenBytes!(id), flush: false);

    /// <summary>Returns what is still held back, with an unfinished character as U+FFFD, and starts afresh.</summary>
    public string Flush() => _stream?.Flush() ?? Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        // Each new byte yields at most one char, and the (at most 3) held-back bytes at most 3 more.
        Span<char> chars = bytes.Length <= 256 ? stackalloc char[bytes.Length + 4] : new char[bytes.Length + 4];
        int count = _utf8.GetChars(bytes, chars, flush);
        return new string(chars[..count]);
    }
}

/// <summary>Streams the text of token ids for a tokenizer whose decoding is more than concatenating bytes.</summary>
internal interface ITokenTextStream
{
    /// <summary>Adds one token and returns the text it completes, possibly <c>""</c>.</summary>
    string Push(int id);

    /// <summary>Returns what is still held back and starts afresh.</summary>
    string Flush();
}

/// <summary>The raw bytes of one token; throws <see cref="SteerException"/> for an id outside the vocabulary.</summary>
internal delegate ReadOnlySpan<byte> TokenBytesReader(int id);
