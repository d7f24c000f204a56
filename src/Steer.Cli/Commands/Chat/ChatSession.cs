using System.Globalization;
using Steer.Chat;
using Steer.Cli.Commands.Shared;
using Steer.Generation;
using Steer.Steering;

namespace Steer.Cli.Commands.Chat;

/// <summary>
/// The interactive <c>steer chat</c>: the conversation's history and the slash commands are CLI state; each reply is
/// the library's <see cref="ChatTurn"/> over the whole history. Replies go to the output (one per line when it is not a
/// terminal, so a session can be scripted); everything else the session says goes to the error stream.
/// </summary>
internal sealed class ChatSession
{
    public const string Help = """
        /reset         forget the conversation (the --system message stays)
        /steer on|off  steer the replies or not; /steer alone shows which
        /coeff X       scale the steering vector by X (1 is as built, 2 doubles, 0 adds nothing)
        /help          this list
        /exit          end the session (as does end of input, Ctrl+D); Ctrl+C stops a reply
        """;

    private readonly LanguageModel _model;
    private readonly ChatTemplateSource _source;
    private readonly GenerationOptions _options;
    private readonly SteeringChoice _steering;
    private readonly string? _system;
    private readonly CliContext _context;
    private readonly List<ChatMessage> _history = [];
    private bool _steered;
    private double _coeff = 1;
    // Scaled once per /coeff rather than per turn.
    private SteeringVector? _scaled;

    public ChatSession(LanguageModel model, ChatTemplateSource source, GenerationOptions options, SteeringChoice steering, string? system, CliContext context)
    {
        (_model, _source, _options, _steering, _system, _context) = (model, source, options, steering, system, context);
        _steered = steering.Vector is not null;
        _scaled = steering.Vector;
        Reset();
    }

    private TextWriter Out => _context.Output;

    private TextWriter Note => _context.Error;

    public int Run()
    {
        if (_context.IsTerminal) Note.WriteLine($"Chatting with {_model.Name}{(_steered ? ", steered" : "")}. /help lists the commands.");
        while (!_context.Cancellation.IsCancellationRequested)
        {
            if (_context.IsTerminal)
            {
                Out.Write("you> ");
                Out.Flush();
            }
            var line = _context.Reader.ReadLine();
            if (line is null)
            {
                // Ctrl+D leaves the cursor after "you> "; end the line so the shell's prompt starts on its own.
                if (_context.IsTerminal) Out.WriteLine();
                return ExitCodes.Ok;
            }
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (line.TrimStart().StartsWith('/'))
            {
                if (!Command(line.Trim())) return ExitCodes.Ok;
            }
            else Turn(line);
        }
        return ExitCodes.Ok;
    }

    /// <returns>False when the session ends.</returns>
    private bool Command(string line)
    {
        var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var argument = parts.Length > 1 ? parts[1] : null;
        switch (parts[0])
        {
            case "/exit" or "/quit":
                return false;
            case "/help":
                Note.WriteLine(Help);
                break;
            case "/reset":
                Reset();
                Note.WriteLine(_system is null ? "(conversation cleared)" : "(conversation cleared; the system message stays)");
                break;
            case "/steer":
                Steer(argument);
                break;
            case "/coeff":
                Coeff(argument);
                break;
            default:
                Note.WriteLine($"unknown command {parts[0]}; /help lists the commands");
                break;
        }
        return true;
    }

    private void Steer(string? argument)
    {
        switch (argument)
        {
            case null:
                break;
            case "on" when _steering.Vector is null:
                Note.WriteLine("nothing to steer with: start the session with --plus/--minus, --add, --recipe or --vector");
                return;
            case "on":
                _steered = true;
                break;
            case "off":
                _steered = false;
                break;
            default:
                Note.WriteLine("usage: /steer on|off");
                return;
        }
        Note.WriteLine(_steering.Vector is null
            ? "steering off (no steering options were given)"
            : string.Create(CultureInfo.InvariantCulture, $"steering {(_steered ? "on" : "off")} (coefficient ×{_coeff:G6})"));
    }

    private void Coeff(string? argument)
    {
        if (argument is null)
        {
            Note.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coefficient ×{_coeff:G6}"));
            return;
        }
        if (!double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var coeff) || !double.IsFinite(coeff))
        {
            Note.WriteLine($"/coeff '{argument}': expected a finite number, e.g. /coeff 2 (unchanged: ×{_coeff.ToString("G6", CultureInfo.InvariantCulture)})");
            return;
        }
        if (_steering.Vector is null)
        {
            Note.WriteLine("nothing to steer with: start the session with --plus/--minus, --add, --recipe or --vector");
            return;
        }
        _coeff = coeff;
        // Zero is no vector at all: adding zeros changes nothing, and an ablation needs a direction to remove.
        _scaled = coeff == 0 ? null : coeff == 1 ? _steering.Vector : _steering.Vector * coeff;
        Note.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coefficient ×{_coeff:G6}{(_steered ? "" : " (steering is off)")}"));
    }

    private void Reset()
    {
        _history.Clear();
        if (_system is not null) _history.Add(new ChatMessage("system", _system));
    }

    private void Turn(string user)
    {
        _history.Add(new ChatMessage("user", user));
        ChatPromptIds prompt;
        try
        {
            prompt = ChatPrompt.Encode(_source, _model.Tokenizer, _history);
        }
        catch (SteerException e) when (e.Kind == ErrorKind.InvalidArgument)
        {
            // The template refused the conversation (its raise_exception); the message is not kept, so the user can go on.
            _history.RemoveAt(_history.Count - 1);
            Note.WriteLine($"the chat template refused the conversation: {e.Message}");
            return;
        }
        var context = _model.Shape.ContextLength;
        if (prompt.Ids.Count + _options.MaxNewTokens > context)
        {
            _history.RemoveAt(_history.Count - 1);
            Note.WriteLine($"the conversation no longer fits: {prompt.Ids.Count} tokens and {_options.MaxNewTokens} new ones exceed the model's context of " +
                $"{context}; /reset to start over");
            return;
        }
        if (_context.IsTerminal) Out.Write("assistant> ");
        var wrote = false;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_context.Cancellation);
        // On the console, Ctrl+C stops the reply being written rather than the whole session.
        ConsoleCancelEventHandler? interrupt = _context.Input is null && _context.IsTerminal ? (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        }
        : null;
        if (interrupt is not null) Console.CancelKeyPress += interrupt;
        try
        {
            var reply = ChatTurn.Generate(_model, prompt, _options, _steered ? _scaled : null, _steering.Options, piece =>
            {
                wrote = true;
                Out.Write(piece);
                Out.Flush();
            }, stop.Token);
            Out.WriteLine();
            _history.Add(new ChatMessage("assistant", reply.Reply));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            if (wrote || _context.IsTerminal) Out.WriteLine();
            _history.RemoveAt(_history.Count - 1);
            if (!_context.Cancellation.IsCancellationRequested) Note.WriteLine("(reply stopped; neither the message nor the partial reply is kept)");
        }
        catch (SteerException e) when (e.Kind == ErrorKind.InvalidArgument)
        {
            // E.g. a prompt shorter than a front vector: one line, and the conversation is as it was before the message.
            if (wrote || _context.IsTerminal) Out.WriteLine();
            _history.RemoveAt(_history.Count - 1);
            Note.WriteLine($"steer: error: {e.Message}");
        }
        finally
        {
            if (interrupt is not null) Console.CancelKeyPress -= interrupt;
        }
    }
}
