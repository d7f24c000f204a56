using Steer.Architectures;
using Steer.Chat;
using Steer.Generation;
using Steer.Hooks;
using Steer.Steering;
using Steer.Tests.IO;
using Steer.Tokenization.HuggingFace;
using static TorchSharp.torch;

namespace Steer.Tests.Chat;

/// <summary>A formula Qwen2 model with its byte-level tokenizer and the formula chat template (ChatML's shape), loaded once.</summary>
public sealed class ChatModelFixture : IDisposable
{
    private readonly TempDirectory _directory = new();

    public ChatModelFixture()
    {
        FormulaModel.Write(_directory.Path, ModelShapes.For("qwen2", null), seed: 1);
        Model = LanguageModel.Load(_directory.Path);
        Template = ChatTemplateSource.FromDirectory(_directory.Path)!;
    }

    public LanguageModel Model { get; }

    public ChatTemplateSource Template { get; }

    public void Dispose()
    {
        Model.Dispose();
        _directory.Dispose();
    }
}

/// <summary>Where chat steering reaches: the assistant's reply (from its header on), and never a special token when asked.</summary>
public sealed class ChatSteeringTests(ChatModelFixture fixture) : IClassFixture<ChatModelFixture>
{
    private LanguageModel Model => fixture.Model;

    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false };

    private ChatPromptIds Conversation() => ChatPrompt.Encode(fixture.Template, Model.Tokenizer,
        [new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi!"), new ChatMessage("assistant", "Hello."), new ChatMessage("user", "Why?")]);

    private SteeringVector Row(float scale = 4f, int layer = 1) => new([SteeringComponent.Row(HookNames.ResidPre(layer),
        Enumerable.Range(0, Model.Shape.ModelDim).Select(i => scale * MathF.Cos(i * 0.3f)).ToArray())]);

    private int[] Reply(ChatPromptIds prompt, SteeringVector? vector, SteeringOptions? options) =>
        Model.GenerateMany([new GenerationItem(prompt.Ids, Greedy) { Steering = vector, SteeringOptions = options, ReplyStart = prompt.ReplyStart }])[0]
            .Completions.Single();

    /// <summary>How much the injector moved blocks.1.hook_resid_pre at each position of the prompt pass.</summary>
    private float[] PromptPassChange(IReadOnlyList<int> prompt, SteeringVector vector, SteeringOptions options, int? replyStart)
    {
        var hook = HookNames.ResidPre(1);
        float[]? change = null;
        Tensor? before = null;
        using var first = Model.Hooks.Add(hook, (x, _) => { before ??= x.clone().DetachFromDisposeScope(); return null; });
        using var injector = new SteeringInjector(Model, vector, options, replyStart: _ => replyStart);
        using var steering = Model.Hooks.AddRange(injector.Hooks);
        using var last = Model.Hooks.Add(hook, (x, context) =>
        {
            if (!context.IsDecodingStep) change = (x - before!).abs().amax([-1])[0].data<float>().ToArray();   // [pos]
            return null;
        });
        Model.Generate([prompt], Greedy with { MaxNewTokens = 2 });
        before?.Dispose();
        return change!;
    }

    [Fact]
    public void The_reply_starts_at_the_assistant_header_the_template_writes()
    {
        var prompt = Conversation();

        var turnStart = FormulaTokenizerFile.TurnStartId;
        Model.Tokenizer.Decode(prompt.Ids.Skip(prompt.ReplyStart)).ShouldBe($"<|reserved_{turnStart}|>assistant\n");
        prompt.Ids[prompt.ReplyStart].ShouldBe(turnStart);
        Model.Tokenizer.Decode(prompt.Ids.Take(prompt.ReplyStart)).ShouldEndWith("Why?</s>\n");
    }

    [Fact]
    public void Positions_assistant_steers_from_the_reply_start_and_nothing_before_it()
    {
        var prompt = Conversation();

        var change = PromptPassChange(prompt.Ids, Row(), new SteeringOptions { Positions = PositionMode.Assistant }, prompt.ReplyStart);

        change.Length.ShouldBe(prompt.Ids.Count);
        change.Take(prompt.ReplyStart).ShouldAllBe(c => c == 0);
        change.Skip(prompt.ReplyStart).ShouldAllBe(c => Math.Abs(c - 4f) < 1e-4, "each reply position gets the whole vector (max |4·cos| = 4)");
    }

    [Fact]
    public void Positions_assistant_is_all_when_the_reply_starts_at_0_and_generated_when_it_starts_after_the_prompt()
    {
        var prompt = Conversation();
        var vector = Row();

        var fromStart = Reply(prompt with { ReplyStart = 0 }, vector, new SteeringOptions { Positions = PositionMode.Assistant });
        var all = Reply(prompt, vector, new SteeringOptions { Positions = PositionMode.All });
        var fromEnd = Reply(prompt with { ReplyStart = prompt.Ids.Count }, vector, new SteeringOptions { Positions = PositionMode.Assistant });
        var generated = Reply(prompt, vector, new SteeringOptions { Positions = PositionMode.Generated });
        var unsteered = Reply(prompt, null, null);

        fromStart.ShouldBe(all);
        fromEnd.ShouldBe(generated);
        all.ShouldNotBe(unsteered, "the vector is strong enough to change the reply, so the identities above can fail");
    }

    [Fact]
    public void A_zero_vector_at_the_assistant_positions_changes_nothing()
    {
        var prompt = Conversation();

        var steered = Reply(prompt, Row(scale: 0), new SteeringOptions { Positions = PositionMode.Assistant, SkipSpecialTokens = true });

        steered.ShouldBe(Reply(prompt, null, null));
    }

    [Fact]
    public void Positions_assistant_on_a_prompt_that_is_not_a_chat_is_refused_with_the_reason()
    {
        var item = new GenerationItem(Conversation().Ids, Greedy) { Steering = Row(), SteeringOptions = new SteeringOptions { Positions = PositionMode.Assistant } };

        var error = Should.Throw<SteerException>(() => Model.GenerateMany([item]));

        error.Message.ShouldContain("positions 'assistant' steers the assistant's reply in a chat");
        error.Message.ShouldContain("use --chat, steer chat or /v1/chat/completions");
    }

    [Fact]
    public void A_reply_start_outside_the_prompt_is_refused()
    {
        var prompt = Conversation();
        var item = new GenerationItem(prompt.Ids, Greedy) { ReplyStart = prompt.Ids.Count + 1 };

        Should.Throw<SteerException>(() => Model.ValidateItem(item)).Message.ShouldContain($"outside the prompt's {prompt.Ids.Count} tokens");
    }

    [Fact]
    public void Skipping_special_tokens_leaves_the_template_tokens_alone_and_steers_the_rest()
    {
        var prompt = Conversation();
        var special = Model.Tokenizer.SpecialIds;

        var change = PromptPassChange(prompt.Ids, Row(), new SteeringOptions { Positions = PositionMode.All, SkipSpecialTokens = true }, null);

        special.ShouldContain(FormulaTokenizerFile.TurnStartId);
        special.ShouldContain(FormulaTokenizerFile.EosId);
        prompt.Ids.Count(special.Contains).ShouldBe(9, "four turns opened and closed, and the assistant header opened");
        for (var p = 0; p < prompt.Ids.Count; p++)
            change[p].ShouldBe(special.Contains(prompt.Ids[p]) ? 0f : 4f, 1e-4, $"position {p} (token {prompt.Ids[p]})");
    }

    [Fact]
    public void Skipping_special_tokens_also_spares_them_under_ablation()
    {
        var prompt = Conversation();

        var change = PromptPassChange(prompt.Ids, Row(), new SteeringOptions { Positions = PositionMode.All, SkipSpecialTokens = true, Operator = SteeringOperator.Ablate }, null);
        var all = PromptPassChange(prompt.Ids, Row(), new SteeringOptions { Positions = PositionMode.All, Operator = SteeringOperator.Ablate }, null);

        for (var p = 0; p < prompt.Ids.Count; p++)
            change[p].ShouldBe(Model.Tokenizer.SpecialIds.Contains(prompt.Ids[p]) ? 0f : all[p], 1e-6, $"position {p}");
        all.Max().ShouldBeGreaterThan(0f);
    }
}
