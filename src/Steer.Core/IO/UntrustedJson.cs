using System.Text.Json;

namespace Steer.IO;

/// <summary>
/// System.Text.Json parses invalid UTF-8 and lone surrogate escapes (<c>"\ud800"</c>) without complaint, and throws
/// InvalidOperationException only when such a string is read, deep inside whatever reads it. Checking every string
/// of an untrusted document once, right after parsing, turns that into one clear rejection at the door.
/// </summary>
internal static class UntrustedJson
{
    /// <summary>Null when every string and property name in <paramref name="root"/> can be read; otherwise why not.</summary>
    public static string? UnreadableString(JsonElement root)
    {
        try
        {
            ReadStrings(root);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return $"it holds a string that is not valid Unicode ({e.Message})";
        }
    }

    // Depth is bounded by the parser's MaxDepth (64 by default), so the recursion is too.
    private static void ReadStrings(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    ReadStrings(property.Value);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) ReadStrings(item);
                break;
            case JsonValueKind.String:
                _ = element.GetString();
                break;
        }
    }
}
