using Steer.Tokenization;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// Writes a completion as it is produced. The prompt is printed with the first token, once generation has
/// accepted it, so that an error (a prompt too long for the context, say) leaves stdout empty.
/// </summary>
internal sealed class CompletionStreamer(TextWriter output, ITokenizer tokenizer, string prompt)
{
    private readonly IncrementalDecoder _decoder = tokenizer.CreateIncrementalDecoder();
    private bool _promptShown;

    public void Push(int id)
    {
        ShowPrompt();
        output.Write(_decoder.Push(id));
        output.Flush();
    }

    /// <summary>
    /// Ends the line. Bytes of a character the completion did not finish are still held back: they print as
    /// U+FFFD, as the non-streamed and JSON text do.
    /// </summary>
    public void Finish()
    {
        ShowPrompt();
        output.WriteLine(_decoder.Flush());
    }

    private void ShowPrompt()
    {
        if (_promptShown) return;
        output.Write(prompt);
        _promptShown = true;
    }
}
