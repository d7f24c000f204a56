using System.Text.Json;
using Microsoft.Playwright;
using Steer.Architectures;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>
/// The playground's chat tab in Chromium on a model with a chat template: two turns, each side keeping its own
/// conversation, and every reply the page shows equal to the API's answer for that side's history.
/// </summary>
public sealed class PlaygroundChatBrowserSpecs : IDisposable
{
    private readonly TestModel _model = new(ModelShapes.Get("qwen2-tiny"));

    public void Dispose() => _model.Dispose();

    private static async Task<string> ReplyAsync(HttpClient client, object[] messages, object? steering)
    {
        var body = new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["max_tokens"] = 10,
            ["temperature"] = 1.0,
            ["top_p"] = 1.0,
            ["frequency_penalty"] = 0.0,
            ["seed"] = 3,
        };
        if (steering is not null) body["steering"] = steering;
        var response = await client.PostAsync("/v1/chat/completions", body);
        return response.Json().GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    private static async Task SendAsync(IPage page, string message)
    {
        await page.FillAsync("#message", message);
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => document.querySelector('#status').textContent.startsWith('Done')", null,
            new PageWaitForFunctionOptions { Timeout = 120_000 });
    }

    [Fact]
    public async Task The_chat_tab_holds_two_conversations_whose_replies_are_the_apis_for_each_sides_history()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(_model);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(server.Address.ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.ClickAsync("#tab-chat");
        await page.FillAsync("#system", "Be brief.");
        await page.FillAsync("#max-tokens", "10");
        await page.FillAsync("#top-p", "1");
        await page.FillAsync("#frequency-penalty", "0");
        await page.FillAsync("#seed", "3");
        await page.FillAsync("#pairs .pair .layer", "1");
        await page.FillAsync("#pairs .pair .coeff", "6");

        // Act
        await SendAsync(page, "Hi there");
        await SendAsync(page, "Why?");
        var unsteered = await page.Locator("#chat-unsteered .msg.assistant .text").AllInnerTextsAsync();
        var steered = await page.Locator("#chat-steered .msg.assistant .text").AllInnerTextsAsync();
        var users = await page.Locator("#chat-steered .msg.user .text").AllInnerTextsAsync();
        var compareHidden = await page.IsHiddenAsync("#compare-columns");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "steer-playground-chat.png"), FullPage = true });

        // Assert
        compareHidden.ShouldBeTrue();
        users.ShouldBe(["Hi there", "Why?"]);
        unsteered.Count.ShouldBe(2);
        steered.Count.ShouldBe(2);
        using var client = server.CreateClient();
        var pairs = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 6 } }, location = "front", short_prompt = "error" };
        object System(string text) => new { role = "system", content = text };
        object User(string text) => new { role = "user", content = text };
        object Assistant(string text) => new { role = "assistant", content = text };
        unsteered[0].ShouldBe(await ReplyAsync(client, [System("Be brief."), User("Hi there")], null));
        steered[0].ShouldBe(await ReplyAsync(client, [System("Be brief."), User("Hi there")], pairs));
        unsteered[1].ShouldBe(await ReplyAsync(client, [System("Be brief."), User("Hi there"), Assistant(unsteered[0]), User("Why?")], null));
        steered[1].ShouldBe(await ReplyAsync(client, [System("Be brief."), User("Hi there"), Assistant(steered[0]), User("Why?")], pairs));
        steered.ShouldNotBe(unsteered, "the steering changes the replies, so each side's history is its own");
        browser.Requested.ShouldAllBe(url => url.StartsWith(server.Address.ToString()));
    }

    [Fact]
    public async Task Behind_an_api_key_the_page_asks_for_it_and_then_chats_with_it()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(_model, new ServerOptions { ApiKey = "s3cret-key" });
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(server.Address.ToString());
        await page.WaitForFunctionAsync("() => document.querySelector('#status').textContent.includes('needs an API key')");
        var askedForKey = await page.IsVisibleAsync("#api-key");

        // Act
        await page.FillAsync("#api-key", "s3cret-key");
        await page.DispatchEventAsync("#api-key", "change");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.ClickAsync("#tab-chat");
        await page.FillAsync("#max-tokens", "4");
        await SendAsync(page, "Hi there");
        var replies = await page.Locator("#chat-unsteered .msg.assistant .text").AllInnerTextsAsync();

        // Assert
        askedForKey.ShouldBeTrue();
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret-key");
        var expected = await client.PostAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Hi there" } },
            max_tokens = 4,
            temperature = 1.0,
            top_p = 0.3,
            frequency_penalty = 1.0,
            seed = 0,
        });
        replies.ShouldHaveSingleItem().ShouldBe(expected.Json().GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }
}
