using Steer.Chat;
using Steer.Generation;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>--positions assistant and --skip-special-tokens from the command line, against the library.</summary>
public sealed class ChatSteeringSpecs : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly string _model;

    public ChatSteeringSpecs()
    {
        _model = _directory.File("qwen2");
        Cli.Run("debug", "make-model", "--arch", "qwen2", "--out", _model).ExitCode.ShouldBe(0);
    }

    public void Dispose() => _directory.Dispose();

    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy };

    /// <summary>What the library generates for "Hi there" as a chat user turn, with c·h("A") (one token, no BOS) at layer 1.</summary>
    private int[] Expected(SteeringOptions options)
    {
        using var model = LanguageModel.Load(_model);
        var prompt = ChatPrompt.EncodeUserTurn(ChatTemplateSource.FromDirectory(_model)!, model.Tokenizer, "Hi there");
        var vector = ActAdd.Build(model, [new Addition { PlusIds = [68], HookPoint = "blocks.1.hook_resid_pre", Coeff = 8 }]);
        return model.GenerateMany([new GenerationItem(prompt.Ids, Greedy) { Steering = vector, SteeringOptions = options, ReplyStart = prompt.ReplyStart }])[0]
            .Completions.Single();
    }

    private static int[] Ids(CliResult result, string property = "completions") =>
        result.Json().GetProperty(property)[0].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Fact]
    public void Generate_chat_with_positions_assistant_steers_as_the_library_does_from_the_reply_start()
    {
        // Act
        var result = Cli.Run("generate", "--model", _model, "--chat", "--prompt", "Hi there", "--plus-ids", "68", "--layer", "1", "--coeff", "8",
            "--positions", "assistant", "--max-new-tokens", "6", "--temperature", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        Ids(result).ShouldBe(Expected(new SteeringOptions { Positions = PositionMode.Assistant }));
    }

    [Fact]
    public void Compare_chat_with_skip_special_tokens_steers_as_the_library_does()
    {
        // Act
        var result = Cli.Run("compare", "--model", _model, "--chat", "--prompt", "Hi there", "--plus-ids", "68", "--layer", "1", "--coeff", "8",
            "--positions", "all", "--skip-special-tokens", "-n", "1", "--max-new-tokens", "6", "--temperature", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        Ids(result, "steered").ShouldBe(Expected(new SteeringOptions { Positions = PositionMode.All, SkipSpecialTokens = true }));
    }

    [Fact]
    public void Positions_assistant_without_a_chat_prompt_exits_2_and_says_where_it_applies()
    {
        // Act
        var result = Cli.Run("generate", "--model", _model, "--prompt", "Hi there", "--plus-ids", "68", "--layer", "1", "--coeff", "8",
            "--positions", "assistant", "--max-new-tokens", "2");

        // Assert
        result.ShouldFailWith(2, "positions 'assistant' steers the assistant's reply in a chat");
    }
}
