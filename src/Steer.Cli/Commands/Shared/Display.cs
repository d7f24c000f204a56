using System.Text;

namespace Steer.Cli.Commands.Shared;

internal static class Display
{
    /// <summary>A token piece in quotes with control characters made visible, e.g. "\n" or " hate".</summary>
    public static string Quote(string piece)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in piece)
            builder.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '"' => "\\\"",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return builder.Append('"').ToString();
    }
}
