using System.Text.Json;
using Steer.Tests.IO;

namespace Steer.Tests.Cli;

/// <summary>steer template render prints exactly what transformers renders (the corpus in TestData/chat), or the template's error.</summary>
public sealed class TemplateCommandSpecs : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>The template of a corpus file as a tokenizer_config.json, and the named case's messages as a file.</summary>
    private (string Config, string Messages, JsonElement Case) Setup(string file, string conversation, bool generationPrompt)
    {
        using var doc = TestData.Json($"chat/{file}.json");
        var root = doc.RootElement;
        var config = new Dictionary<string, object?> { ["chat_template"] = root.GetProperty("chat_template").GetString() };
        foreach (var token in new[] { "bos_token", "eos_token" })
            if (root.GetProperty(token).ValueKind == JsonValueKind.String) config[token] = root.GetProperty(token).GetString();
        var configPath = _directory.File($"{file}.json");
        File.WriteAllText(configPath, JsonSerializer.Serialize(config));
        var c = root.GetProperty("cases").EnumerateArray()
            .First(c => c.GetProperty("conversation").GetString() == conversation && c.GetProperty("add_generation_prompt").GetBoolean() == generationPrompt).Clone();
        var messagesPath = _directory.File($"{file}-{conversation}.json");
        File.WriteAllText(messagesPath, c.GetProperty("messages").GetRawText());
        return (configPath, messagesPath, c);
    }

    [Theory]
    [InlineData("qwen2.5-7b-instruct", "system_multi_turn", true)]
    [InlineData("llama-3-8b-instruct", "unicode", false)]
    [InlineData("mistral-7b-instruct-v0.3", "whitespace", true)]
    public void Render_prints_exactly_the_transformers_text_and_nothing_more(string file, string conversation, bool generationPrompt)
    {
        var (config, messages, c) = Setup(file, conversation, generationPrompt);
        List<string> args = ["template", "render", "--config", config, "--messages", messages];
        if (generationPrompt) args.Add("--add-generation-prompt");

        var result = Cli.Run([.. args]);

        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldBe(c.GetProperty("expected").GetString());
    }

    [Fact]
    public void Now_fixes_the_date_strftime_now_sees_and_kwargs_become_variables()
    {
        var (config, messages, c) = Setup("llama-3.2-3b-instruct", "system_user", true);

        var result = Cli.Run("template", "render", "--config", config, "--messages", messages, "--add-generation-prompt", "--now", "2024-07-26T12:00:00");
        var custom = Cli.Run("template", "render", "--config", config, "--messages", messages, "--add-generation-prompt", "--kwargs", """{"date_string": "01 Jan 2025"}""");

        result.Output.ShouldBe(c.GetProperty("expected").GetString());
        result.Output.ShouldContain("Today Date: 26 Jul 2024");
        custom.Output.ShouldContain("Today Date: 01 Jan 2025");
    }

    [Fact]
    public void A_templates_raise_exception_exits_non_zero_with_its_message_and_prints_nothing()
    {
        var (config, messages, c) = Setup("mistral-7b-instruct-v0.2", "roles_not_alternating", true);

        var result = Cli.Run("template", "render", "--config", config, "--messages", messages, "--add-generation-prompt");

        result.ShouldFailWith(2, c.GetProperty("expected_error").GetString()!);
        result.Output.ShouldBeEmpty();
    }

    [Fact]
    public void Bad_inputs_say_what_is_wrong()
    {
        var (config, messages, _) = Setup("smollm2-135m-instruct", "user_only", false);
        File.WriteAllText(_directory.File("bad.json"), "{\"role\": \"user\"}");
        File.WriteAllText(_directory.File("none.json"), "{\"eos_token\": \"</s>\"}");

        Cli.Run("template", "render", "--config", config, "--messages", _directory.File("bad.json")).ShouldFailWith(2, "messages must be a JSON list");
        Cli.Run("template", "render", "--config", _directory.File("none.json"), "--messages", messages).ShouldFailWith(4, "has no chat template");
        Cli.Run("template", "render", "--config", config, "--messages", messages, "--now", "yesterday").ShouldFailWith(2, "--now 'yesterday'");
        Cli.Run("template", "render", "--config", _directory.File("missing.json"), "--messages", messages).ShouldFailWith(3, "no such file");
    }
}

public sealed class ChatFlagSpecs : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Generate_chat_renders_the_models_template_and_does_not_add_a_second_bos()
    {
        // Arrange: a formula Llama with its byte-level tokenizer, given a template that writes the BOS itself.
        var directory = _directory.File("llama");
        Cli.Run("debug", "make-model", "--arch", "llama", "--out", directory).ExitCode.ShouldBe(0);
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}";
        File.WriteAllText(configPath, config.ToJsonString());
        using var model = LanguageModel.Load(directory);
        var expected = model.Tokenizer.Encode("<s>[user] Hi there</s>[assistant] ", prependBos: false);

        // Act
        var result = Cli.Run("generate", "--model", directory, "--chat", "--prompt", "Hi there", "--max-new-tokens", "2", "--temperature", "0", "--json");
        var plain = Cli.Run("debug", "make-model", "--shape", "tiny", "--out", _directory.File("gpt2"));
        var without = Cli.Run("generate", "--model", _directory.File("gpt2"), "--chat", "--prompt", "Hi", "--max-new-tokens", "1");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var ids = result.Json().GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        ids.ShouldBe(expected);
        ids.Count(id => id == 1).ShouldBe(1, "one BOS, the template's");
        plain.ExitCode.ShouldBe(0);
        without.ShouldFailWith(4, "has no chat template");
    }
}

public sealed class ChatCommandSpecs : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void One_chat_turn_replies_as_the_library_generates_from_the_rendered_template()
    {
        // Arrange: a formula Llama with its byte-level tokenizer and a small template.
        var directory = _directory.File("llama");
        Cli.Run("debug", "make-model", "--arch", "llama", "--out", directory).ExitCode.ShouldBe(0);
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}";
        File.WriteAllText(configPath, config.ToJsonString());
        using var model = LanguageModel.Load(directory);
        var prompt = model.Tokenizer.Encode("<s>[system] Be kind.</s>[user] Hi there</s>[assistant] ", prependBos: false);
        var vector = Steer.Steering.Methods.ActAdd.Pair(model, "Love", "Hate", 1, 4);
        var expected = model.Generate([prompt], new Steer.Generation.GenerationOptions { MaxNewTokens = 5, Sampling = Steer.Generation.SamplingOptions.Greedy }, vector)
            .Completions.Single().ToList();

        // Act
        var result = Cli.Run("chat", "--model", directory, "--system", "Be kind.", "--message", "Hi there", "--plus", "Love", "--minus", "Hate",
            "--layer", "1", "--coeff", "4", "--max-new-tokens", "5", "--temperature", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ShouldBe(prompt);
        json.GetProperty("reply_ids").EnumerateArray().Select(e => e.GetInt32()).ShouldBe(expected);
        var stopped = expected.Count > 0 && expected[^1] == 2;
        json.GetProperty("finish_reason").GetString().ShouldBe(stopped ? "stop" : "length");
        json.GetProperty("reply").GetString().ShouldBe(model.Tokenizer.Decode(stopped ? expected.SkipLast(1) : expected));
    }
}
