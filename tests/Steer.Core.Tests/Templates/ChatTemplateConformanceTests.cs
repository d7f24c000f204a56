using System.Text.Json;
using Steer.Templates;

namespace Steer.Tests.Templates;

/// <summary>Every case of the public chat-template corpus (tests/Steer.Testing/TestData/chat), rendered as transformers does.</summary>
public class ChatTemplateConformanceTests
{
    static readonly string[] Files =
    [
        "smollm2-135m-instruct", "tinyllama-1.1b-chat", "llama-3-8b-instruct", "llama-3.2-3b-instruct", "llama-2-7b-chat",
        "qwen2.5-7b-instruct", "mistral-7b-instruct-v0.1", "mistral-7b-instruct-v0.2", "mistral-7b-instruct-v0.3",
        "deepseek-r1-distill-llama-8b", "hermes-3-llama-3.1-8b-tool-use",
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in Files)
        {
            using var doc = TestData.Json($"chat/{file}.json");
            int n = doc.RootElement.GetProperty("cases").GetArrayLength();
            for (int i = 0; i < n; i++) data.Add(file, i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_like_transformers(string file, int index)
    {
        using var doc = TestData.Json($"chat/{file}.json");
        var root = doc.RootElement;
        var c = root.GetProperty("cases")[index];
        var vars = new Dictionary<string, object?>
        {
            ["messages"] = c.GetProperty("messages"),
            ["tools"] = c.GetProperty("tools"),
            ["documents"] = null,
            ["add_generation_prompt"] = c.GetProperty("add_generation_prompt").GetBoolean(),
        };
        foreach (var token in new[] { "bos_token", "eos_token" })
            if (root.GetProperty(token).ValueKind == JsonValueKind.String)
                vars[token] = root.GetProperty(token).GetString();
        foreach (var kw in c.GetProperty("kwargs").EnumerateObject())
            vars[kw.Name] = kw.Value;

        var template = ChatTemplate.Parse(root.GetProperty("chat_template").GetString()!);
        var now = new DateTime(2024, 7, 26, 12, 0, 0);
        if (c.TryGetProperty("expected_error", out var error))
            Should.Throw<TemplateRaisedException>(() => template.Render(vars, now: now)).Message.ShouldBe(error.GetString());
        else
            template.Render(vars, now: now).ShouldBe(c.GetProperty("expected").GetString());
    }
}
