using Steer.Chat;
using Steer.Tests.IO;

namespace Steer.Tests.Chat;

public sealed class ChatTemplateSourceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private void Config(string json) => File.WriteAllText(_directory.File("tokenizer_config.json"), json);

    [Fact]
    public void A_string_template_and_the_special_tokens_come_from_tokenizer_config()
    {
        Config("""{"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": null, "chat_template": "{{ bos_token }}{{ messages[0].content }}"}""");

        var source = ChatTemplateSource.FromDirectory(_directory.Path)!;

        source.Template.ShouldBe("{{ bos_token }}{{ messages[0].content }}");
        source.SpecialTokens.ShouldBe(new Dictionary<string, string> { ["bos_token"] = "<s>", ["eos_token"] = "</s>" });
        source.Source.ShouldEndWith("tokenizer_config.json");
    }

    [Fact]
    public void A_list_of_named_templates_gives_default_or_the_one_asked_for()
    {
        Config("""{"chat_template": [{"name": "default", "template": "A"}, {"name": "tool_use", "template": "B"}]}""");

        ChatTemplateSource.FromDirectory(_directory.Path)!.Template.ShouldBe("A");
        ChatTemplateSource.FromDirectory(_directory.Path, "tool_use")!.Template.ShouldBe("B");
        Should.Throw<SteerException>(() => ChatTemplateSource.FromDirectory(_directory.Path, "rag"))
            .Message.ShouldContain("no chat template named 'rag'; it has: default, tool_use");
    }

    [Fact]
    public void Chat_template_jinja_takes_precedence_and_keeps_the_configs_tokens()
    {
        Config("""{"eos_token": "<|im_end|>", "chat_template": "old"}""");
        File.WriteAllText(_directory.File("chat_template.jinja"), "new\n");

        var source = ChatTemplateSource.FromDirectory(_directory.Path)!;

        source.Template.ShouldBe("new\n");
        source.SpecialTokens["eos_token"].ShouldBe("<|im_end|>");
    }

    [Fact]
    public void A_model_without_a_template_has_none_and_broken_configs_say_why()
    {
        ChatTemplateSource.FromDirectory(_directory.Path).ShouldBeNull();
        Config("""{"eos_token": "</s>"}""");
        ChatTemplateSource.FromDirectory(_directory.Path).ShouldBeNull();
        Config("""{"chat_template": 3}""");
        Should.Throw<SteerException>(() => ChatTemplateSource.FromDirectory(_directory.Path)).Message.ShouldContain("must be a string or a list");
        Config("{not json");
        Should.Throw<SteerException>(() => ChatTemplateSource.FromDirectory(_directory.Path)).Message.ShouldContain("not valid JSON");
    }
}
