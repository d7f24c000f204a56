using System.Net.Http.Json;
using Microsoft.Playwright;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>
/// The playground in a real browser: Playwright drives Debian's chromium package through its executable path (no
/// browser is downloaded), loads the page from a running server, runs a steered comparison and reads both columns.
/// </summary>
public sealed class PlaygroundBrowserSpecs(TestModel model) : IClassFixture<TestModel>
{
    [Fact]
    public async Task The_playground_runs_a_steered_comparison_from_a_preset_and_fills_both_columns_using_only_the_server()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        var requested = browser.Requested;

        // Act
        await page.GotoAsync(server.Address.ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.FillAsync("#max-tokens", "16");
        await page.ClickAsync("#run");
        await page.WaitForFunctionAsync("() => document.querySelector('#status').textContent.startsWith('Done')", null,
            new PageWaitForFunctionOptions { Timeout = 120_000 });
        var unsteered = await page.InnerTextAsync("#unsteered .completion .text");
        var steered = await page.InnerTextAsync("#steered .completion .text");
        var left = await page.Locator("#unsteered").BoundingBoxAsync();
        var right = await page.Locator("#steered").BoundingBoxAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "steer-playground.png"), FullPage = true });

        // Assert
        unsteered.ShouldNotBeNullOrWhiteSpace();
        steered.ShouldNotBeNullOrWhiteSpace();
        steered.ShouldNotBe(unsteered);
        (await page.InnerTextAsync("#unsteered")).ShouldStartWith("I hate you because");
        left!.Y.ShouldBe(right!.Y, "the columns stand side by side");
        left.X.ShouldBeLessThan(right.X);
        requested.ShouldNotBeEmpty();
        requested.ShouldAllBe(url => url.StartsWith(server.Address.ToString()), "every asset and call goes to the Steer server");

        // The page's columns are the API's own answers for the love-hate preset (layer 6 of 48 is layer 0 of 2).
        using var client = server.CreateClient();
        var common = new { prompt = "I hate you because", max_tokens = 16, temperature = 1.0, top_p = 0.3, frequency_penalty = 1.0, n = 1, seed = 0 };
        var api = await client.PostAsync("/v1/completions", common);
        var apiSteered = await client.PostAsJsonAsync("/v1/completions", new
        {
            common.prompt,
            common.max_tokens,
            common.temperature,
            common.top_p,
            common.frequency_penalty,
            common.n,
            common.seed,
            steering = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 0, coeff = 5 } } },
        });
        unsteered.ShouldBe(api.Texts().Single());
        steered.ShouldBe((await apiSteered.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("choices")[0].GetProperty("text").GetString());
    }
}
