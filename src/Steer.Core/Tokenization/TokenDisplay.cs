using System.Buffers;
using System.Globalization;
using System.Text;

namespace Steer.Tokenization;

/// <summary>Shows the bytes of one token as text, for <see cref="ITokenizer.TokenText"/>.</summary>
internal static class TokenDisplay
{
    /// <summary>
    /// The UTF-8 text of <paramref name="bytes"/>, with bytes that are not a complete character (a token may hold
    /// part of one) shown as escapes such as <c>\xe2</c> instead of U+FFFD, so that different tokens look different.
    /// </summary>
    internal static string Escape(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out int consumed) == OperationStatus.Done)
            {
                text.Append(rune.ToString());
            }
            else
            {
                consumed = 1;
                text.Append(CultureInfo.InvariantCulture, $"\\x{bytes[0]:x2}");
            }
            bytes = bytes[consumed..];
        }
        return text.ToString();
    }
}
