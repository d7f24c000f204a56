using System.Net;
using System.Text.RegularExpressions;
using Steer.Server.Tests.Infrastructure;
using Steer.Steering.Recipes;

namespace Steer.Server.Tests;

/// <summary>GET /v1/models, /v1/recipes, /healthz, and the playground's files, all served by Steer itself.</summary>
public sealed partial class ResourceSpecs(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task Models_lists_the_one_served_model_with_its_shape()
    {
        // Act
        var result = await Client.GetJsonAsync("/v1/models");

        // Assert
        result.Status.ShouldBe(HttpStatusCode.OK);
        var json = result.Json();
        json.GetProperty("object").GetString().ShouldBe("list");
        var model = json.GetProperty("data").EnumerateArray().ShouldHaveSingleItem();
        model.GetProperty("id").GetString().ShouldBe(server.ModelId);
        model.GetProperty("object").GetString().ShouldBe("model");
        model.GetProperty("owned_by").GetString().ShouldBe("steer");
        model.GetProperty("layers").GetInt32().ShouldBe(2);
        model.GetProperty("context_length").GetInt32().ShouldBe(1024);
    }

    [Fact]
    public async Task A_model_is_fetched_by_id_and_an_unknown_id_is_a_404()
    {
        // Act
        var known = await Client.GetJsonAsync($"/v1/models/{server.ModelId.TrimStart('/')}");
        var unknown = await Client.GetJsonAsync("/v1/models/gpt-4");

        // Assert
        known.Json().GetProperty("id").GetString().ShouldBe(server.ModelId);
        unknown.ShouldBeError(HttpStatusCode.NotFound, messageParts: "'gpt-4' does not exist").GetProperty("code").GetString().ShouldBe("model_not_found");
    }

    [Fact]
    public async Task Recipes_lists_every_post_recipe_with_layers_scaled_to_the_model()
    {
        // Act
        var result = await Client.GetJsonAsync("/v1/recipes");

        // Assert
        var recipes = result.Json().GetProperty("data").EnumerateArray().ToList();
        recipes.Select(r => r.GetProperty("name").GetString()).ShouldBe(RecipeBook.BuiltIn.Select(r => r.Name));
        var loveHate = recipes.Single(r => r.GetProperty("name").GetString() == "love-hate");
        loveHate.GetProperty("prompt").GetString().ShouldBe("I hate you because");
        var addition = loveHate.GetProperty("additions").EnumerateArray().ShouldHaveSingleItem();
        addition.GetProperty("post_layer").GetInt32().ShouldBe(6);
        addition.GetProperty("layer").GetInt32().ShouldBe(Recipe.ScaleLayer(6, 2));
    }

    [Fact]
    public async Task Healthz_says_ok_and_how_busy_the_worker_is()
    {
        // Act
        var health = await Client.HealthAsync();

        // Assert
        health.GetProperty("status").GetString().ShouldBe("ok");
        health.GetProperty("model").GetString().ShouldBe(server.ModelId);
        health.GetProperty("queued").GetInt32().ShouldBe(0);
        health.GetProperty("worker").GetProperty("batches").GetInt64().ShouldBeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public async Task The_playground_page_has_the_prompt_pairs_recipes_and_both_columns_and_loads_only_its_own_assets()
    {
        // Act
        var page = await Client.GetAsync("/");
        var html = await page.Content.ReadAsStringAsync();

        // Assert
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        foreach (var id in new[] { "prompt", "pairs", "add-pair", "recipe", "run", "unsteered", "steered", "seed", "tab-chat", "message", "send", "chat-unsteered", "chat-steered" })
            html.ShouldContain($"id=\"{id}\"");
        AssetReference().Matches(html).Select(m => m.Groups[1].Value).ShouldBe(["/app.css", "/app.js", "/chat.js"], ignoreOrder: true);
        html.ShouldNotContain("//", Case.Sensitive, "no protocol-relative or absolute URLs: nothing comes from a CDN");
    }

    [Theory]
    [InlineData("/app.js", "text/javascript")]
    [InlineData("/chat.js", "text/javascript")]
    [InlineData("/app.css", "text/css")]
    public async Task The_playground_assets_are_served_by_steer_and_reach_nothing_outside_it(string path, string mediaType)
    {
        // Act
        var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe(mediaType);
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("default-src 'self'");
        text.ShouldNotContain("http://");
        text.ShouldNotContain("https://");
        text.ShouldNotContain("@import");
    }

    [GeneratedRegex("(?:src|href)=\"([^\"]+)\"")]
    private static partial Regex AssetReference();
}
