using Steer.Chat;
using Steer.Generation;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>
/// steer chat without --message: an interactive session over stdin whose replies are the library's ChatTurn over the
/// whole history, with /reset, /steer, /coeff and /exit. Redirected, it prints only the replies.
/// </summary>
public sealed class ChatSessionSpecs : IDisposable
{
    private const string Template = "{{ bos_token }}{% for m in messages %}{% if m.content == 'boom' %}{{ raise_exception('No booms here.') }}{% endif %}" +
        "[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}";

    private static readonly string[] Sampling = ["--max-new-tokens", "6", "--seed", "7"];
    // Greedy: sampled at temperature 1, the formula model's replies hardly depend on the vector.
    private static readonly string[] Steering = ["--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "4", "--temperature", "0"];

    private readonly TempDirectory _directory = new();
    private readonly string _model;

    public ChatSessionSpecs()
    {
        // A formula Llama with its byte-level tokenizer, a small template that refuses the message "boom".
        _model = _directory.File("llama");
        Cli.Run("debug", "make-model", "--arch", "llama", "--out", _model).ExitCode.ShouldBe(0);
        var configPath = Path.Combine(_model, "tokenizer_config.json");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = Template;
        File.WriteAllText(configPath, config.ToJsonString());
    }

    public void Dispose() => _directory.Dispose();

    private CliResult Session(string input, params string[] extra) => Cli.RunWithInput(input, ["chat", "--model", _model, .. Sampling, .. extra]);

    private CliResult Once(string message, params string[] extra) => Cli.Run(["chat", "--model", _model, "--message", message, .. Sampling, .. extra]);

    [Fact]
    public void A_scripted_session_replies_to_each_line_over_the_whole_history()
    {
        // Arrange
        var first = Once("Hi there");
        using var model = LanguageModel.Load(_model);
        var source = ChatTemplateSource.FromDirectory(_model)!;
        var history = new[] { new ChatMessage("user", "Hi there"), new ChatMessage("assistant", first.Output[..^1]), new ChatMessage("user", "And you?") };
        var second = ChatTurn.Generate(model, ChatPrompt.Encode(source, model.Tokenizer, history), new GenerationOptions { MaxNewTokens = 6, Seed = 7 });

        // Act
        var result = Session("Hi there\n\nAnd you?\n/exit\nNot read\n");

        // Assert
        first.ExitCode.ShouldBe(0, first.Error);
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldBe(first.Output + second.Reply + "\n");
    }

    [Fact]
    public void Reset_forgets_the_conversation_so_the_next_reply_is_a_fresh_sessions_first()
    {
        // Act
        var before = Session("Hi\nHello\n", "--system", "Be kind.");
        var reset = Session("Hi\nHello\n/reset\nHello\n", "--system", "Be kind.");
        var fresh = Session("Hello\n", "--system", "Be kind.");

        // Assert
        reset.ExitCode.ShouldBe(0, reset.Error);
        reset.Output.ShouldBe(before.Output + fresh.Output);
        fresh.Output.ShouldBe(Once("Hello", "--system", "Be kind.").Output);
    }

    [Fact]
    public void Steer_off_and_on_switch_between_the_unsteered_and_the_steered_reply()
    {
        // Arrange
        var steered = Once("Hi", Steering).Output;
        var unsteered = Once("Hi", "--temperature", "0").Output;

        // Act
        var result = Session("Hi\n/reset\n/steer off\nHi\n/reset\n/steer\n/steer on\nHi\n", Steering);

        // Assert
        steered.ShouldNotBe(unsteered, "the vector changes the reply");
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldBe(steered + unsteered + steered);
        result.Error.ShouldContain("steering off");
        result.Error.ShouldContain("steering on");
    }

    [Fact]
    public void Coeff_scales_the_built_vector_and_a_bad_value_changes_nothing()
    {
        // Arrange
        // Arrange: the formula model's replies do not tell 2x from 1x (any coefficient from 0.5 up gives the same), so -1
        // (the opposite direction) is the scale that shows.
        var steered = Once("Hi", Steering).Output;
        var unsteered = Once("Hi", "--temperature", "0").Output;
        var negated = Once("Hi", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "-4", "--temperature", "0").Output;

        // Act
        var result = Session("/coeff 0\nHi\n/reset\n/coeff -1\nHi\n/reset\n/coeff abc\n/coeff NaN\nHi\n", Steering);

        // Assert
        new[] { steered, unsteered, negated }.Distinct().Count().ShouldBe(3);
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldBe(unsteered + negated + negated);
        result.Error.ShouldContain("/coeff 'abc': expected a finite number");
        result.Error.ShouldContain("/coeff 'NaN': expected a finite number");
    }

    [Fact]
    public void Without_steering_options_steer_on_says_there_is_nothing_to_steer_with()
    {
        // Act
        var result = Session("/steer on\nHi\n");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Error.ShouldContain("nothing to steer with");
        result.Output.ShouldBe(Once("Hi").Output);
    }

    [Fact]
    public void End_of_input_ends_the_session_with_exit_code_0_and_unknown_commands_get_a_hint()
    {
        // Act
        var result = Session("/xyz\n/help\n");
        var empty = Session("");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldBeEmpty();
        result.Error.ShouldContain("unknown command /xyz; /help lists the commands");
        result.Error.ShouldContain("/coeff X");
        empty.ExitCode.ShouldBe(0, empty.Error);
    }

    [Fact]
    public void A_template_error_or_a_full_context_is_one_line_and_the_session_goes_on()
    {
        // Arrange: room for the first turn's prompt and its new tokens, not for a second turn's.
        using var model = LanguageModel.Load(_model);
        var source = ChatTemplateSource.FromDirectory(_model)!;
        var promptLength = ChatPrompt.EncodeUserTurn(source, model.Tokenizer, "Hi").Ids.Count;
        var maxNewTokens = (model.Shape.ContextLength - promptLength).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var hi = Cli.Run("chat", "--model", _model, "--message", "Hi", "--max-new-tokens", maxNewTokens, "--seed", "7", "--temperature", "0");

        // Act
        var refused = Session("boom\nHi\n");
        var full = Cli.RunWithInput("Hi\nHi again\n/reset\nHi\n", "chat", "--model", _model, "--max-new-tokens", maxNewTokens, "--seed", "7", "--temperature", "0");

        // Assert
        refused.ExitCode.ShouldBe(0, refused.Error);
        refused.Error.ShouldContain("No booms here.");
        refused.Output.ShouldBe(Once("Hi").Output);
        full.ExitCode.ShouldBe(0, full.Error);
        full.Error.ShouldContain("the conversation no longer fits");
        full.Error.ShouldContain("/reset");
        full.Output.ShouldBe(hi.Output + hi.Output);
    }

    [Fact]
    public void On_a_terminal_the_session_prompts_for_each_line_and_names_the_reply()
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new StringReader("Hi\n");

        // Act
        var exitCode = Steer.Cli.SteerCli.Run(["chat", "--model", _model, .. Sampling], new Steer.Cli.CliContext(output, error, IsTerminal: true, Input: input));

        // Assert
        exitCode.ShouldBe(0, error.ToString());
        output.ToString().ShouldBe("you> assistant> " + Once("Hi").Output + "you> \n");
        error.ToString().ShouldContain("/help lists the commands");
    }

    [Fact]
    public void A_cancelled_session_ends_with_exit_code_0()
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new StringReader("Hi\nHello\n");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        // Act
        var exitCode = Steer.Cli.SteerCli.Run(["chat", "--model", _model, .. Sampling], new Steer.Cli.CliContext(output, error, Cancellation: cancelled.Token, Input: input));

        // Assert
        exitCode.ShouldBe(0, error.ToString());
        output.ToString().ShouldBeEmpty();
    }

    [Fact]
    public void Json_or_coeff_relative_without_a_message_is_a_usage_error()
    {
        // Act
        var json = Session("Hi\n", "--json");
        var relative = Session("Hi\n", [.. Steering, "--coeff-relative", "2"]);

        // Assert
        json.ShouldFailWith(2, "--json needs --message");
        relative.ShouldFailWith(2, "--coeff-relative measures one prompt, so it needs --message");
    }
}
