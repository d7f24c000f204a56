using System.Net;
using System.Text;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>Bad input is a 400 (or 404, 405, 413) in OpenAI's error shape, naming the field; it never reaches the 500 handler.</summary>
public sealed class ErrorSpecs(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Steering = """{"additions":[{"plus":"Love","minus":"Hate","layer":1,"coeff":5}]}""";

    private HttpClient Client => server.Client;

    [Theory]
    [InlineData("""{"prompt": "x", """, null, "not a valid JSON object")]
    [InlineData("""[1, 2, 3]""", null, "not a valid JSON object")]
    [InlineData("""null""", null, "null")]
    [InlineData("""{"prompt": "x", "max_tokens": "ten"}""", "max_tokens", "wrong type")]
    [InlineData("""{"prompt": "x", "temperature": "hot"}""", "temperature", "wrong type")]
    [InlineData("""{"prompt": "x", "seed": 1.5}""", "seed", "wrong type")]
    [InlineData("""{"max_tokens": 4}""", "prompt", "'prompt' is required")]
    [InlineData("""{"prompt": []}""", "prompt", "empty list")]
    [InlineData("""{"prompt": 42}""", "prompt", "must be a string")]
    [InlineData("""{"prompt": [50256, 99999]}""", "prompt", "token ids must be integers in [0, 50257)")]
    [InlineData("""{"prompt": ["a", {"b": 1}]}""", "prompt[1]", "each prompt")]
    [InlineData("""{"prompt": "x", "n": 0}""", "n", "n must be between 1 and 16")]
    [InlineData("""{"prompt": "x", "n": 17}""", "n", "n must be between 1 and 16")]
    [InlineData("""{"prompt": ["a","b","c"], "n": 16}""", "n", "48 completions")]
    [InlineData("""{"prompt": "x", "max_tokens": -1}""", "max_tokens", "max_tokens must be between 0 and 1024")]
    [InlineData("""{"prompt": "x", "max_tokens": 1025}""", "max_tokens", "max_tokens must be between 0 and 1024")]
    [InlineData("""{"prompt": "x", "max_tokens": 1023}""", "max_tokens", "exceeds the model's context of 1024 tokens")]
    [InlineData("""{"prompt": "x", "temperature": 2.5}""", "temperature", "temperature must be between 0 and 2")]
    [InlineData("""{"prompt": "x", "temperature": -1}""", "temperature", "temperature must be between 0 and 2")]
    [InlineData("""{"prompt": "x", "top_p": 0}""", "top_p", "top_p must be in (0, 1]")]
    [InlineData("""{"prompt": "x", "top_p": 1.5}""", "top_p", "top_p must be in (0, 1]")]
    [InlineData("""{"prompt": "x", "top_k": 0}""", "top_k", "top_k must be at least 1")]
    [InlineData("""{"prompt": "x", "frequency_penalty": 3}""", "frequency_penalty", "between -2 and 2")]
    [InlineData("""{"prompt": "x", "presence_penalty": -3}""", "presence_penalty", "between -2 and 2")]
    [InlineData("""{"prompt": "x", "logprobs": 6}""", "logprobs", "logprobs must be between 0 and 5")]
    [InlineData("""{"prompt": "x", "stop": ["a","b","c","d","e"]}""", "stop", "at most 4")]
    [InlineData("""{"prompt": "x", "stop": ""}""", "stop", "empty")]
    [InlineData("""{"prompt": "x", "stop": 3}""", "stop", "a string or a list of strings")]
    [InlineData("""{"prompt": "x", "echo": true}""", "echo", "not supported")]
    [InlineData("""{"prompt": "x", "best_of": 3}""", "best_of", "not supported")]
    [InlineData("""{"prompt": "x", "logit_bias": {"50256": -100}}""", "logit_bias", "not supported")]
    [InlineData("""{"prompt": "x", "steering": {}}""", "steering", "needs additions, a recipe or a vector")]
    [InlineData("""{"prompt": "x", "steering": {"recipe": "no-such-recipe"}}""", "steering.recipe", "no recipe named 'no-such-recipe'")]
    [InlineData("""{"prompt": "x", "steering": {"recipe": "/etc/passwd"}}""", "steering.recipe", "no recipe named")]
    [InlineData("""{"prompt": "x", "steering": {"vector": "vec_missing"}}""", "steering.vector", "no steering vector with id 'vec_missing'")]
    [InlineData("""{"prompt": "x", "steering": {"additions": [{"plus": "a", "layer": 2, "coeff": 1}]}}""", "steering.additions[0].layer", "layer 2 is out of range")]
    [InlineData("""{"prompt": "x", "steering": {"additions": [{"plus": "a", "layer": -1, "coeff": 1}]}}""", "steering.additions[0].layer", "out of range")]
    [InlineData("""{"prompt": "x", "steering": {"additions": [{"plus": "a", "layer": "blocks.9.hook_nothing", "coeff": 1}]}}""", "steering.additions[0].layer", "unknown hook point")]
    [InlineData("""{"prompt": "x", "steering": {"additions": [{"plus": "a", "layer": 1.5, "coeff": 1}]}}""", "steering.additions[0].layer", "block number or a hook point")]
    [InlineData("""{"prompt": "x", "steering": {"additions": [{"plus": "a", "layer": 1}]}}""", "steering.additions[0].coeff", "needs 'coeff'")]
    [InlineData("""{"prompt": "x", "steering": {"additions": [{"layer": 1, "coeff": 1}]}}""", "steering.additions[0].plus", "needs 'plus'")]
    [InlineData("""{"prompt": "x", "steering": {"additions": [{"plus": "a", "layer": 1, "coeff": "NaN"}]}}""", "steering.additions[0].coeff", "wrong type")]
    [InlineData("""{"prompt": "x", "steering": {"additions": [null]}}""", "steering.additions[0]", "must be an object")]
    [InlineData("""{"prompt": "x", "steering": {"recipe": "love-hate", "location": "middle"}}""", "steering.location", "front, mid or back")]
    [InlineData("""{"prompt": "x", "steering": {"recipe": "love-hate", "short_prompt": "grow"}}""", "steering.short_prompt", "error, pad or truncate")]
    [InlineData("""{"prompt": "x", "steering": {"recipe": "love-hate", "pad_id": 60000}}""", "steering.pad_id", "outside the vocabulary")]
    [InlineData("""{"prompt": "x", "steering": "love-hate"}""", "steering", "wrong type")]
    public async Task Bad_input_is_a_400_invalid_request_error_naming_the_field(string body, string? param, string message)
    {
        // Act
        var result = await Client.PostAsync("/v1/completions", body);

        // Assert
        var error = result.ShouldBeError(HttpStatusCode.BadRequest, messageParts: message);
        (error.GetProperty("param").GetString()).ShouldBe(param);
    }

    /// <summary>Found by fuzzing (fuzz/run.sh server): these strings bound without complaint and were 500s when read.</summary>
    [Theory]
    [InlineData("/v1/completions", """{"prompt": "\ud800"}""")]
    [InlineData("/v1/completions", """{"prompt": "x", "stop": "\udc00"}""")]
    [InlineData("/v1/completions", """{"prompt": "x", "steering": {"additions": [{"plus": "\ud800", "coeff": 1, "layer": 1}]}}""")]
    [InlineData("/v1/chat/completions", """{"messages": [{"role": "user", "content": "\ud83d"}]}""")]
    [InlineData("/v1/completions", "{\"prompt\": \"\xff\"}")]
    public async Task A_string_that_is_not_valid_unicode_is_a_400(string path, string body)
    {
        // Arrange: bytes as given (\xff is one raw byte, not UTF-8), escapes as JSON sees them.
        var bytes = body.Select(c => (byte)c).ToArray();
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        // Act
        var response = await Client.PostAsync(path, content);
        var result = new ApiResult(response.StatusCode, await response.Content.ReadAsStringAsync(), response);

        // Assert
        result.ShouldBeError(HttpStatusCode.BadRequest, messageParts: "not valid UTF-8");
    }

    [Theory]
    [InlineData("prompt")]
    [InlineData("plus")]
    [InlineData("minus")]
    public async Task Text_too_long_to_fit_the_context_is_refused_before_it_is_tokenised(string field)
    {
        // Arrange: one 20,000-letter word would take BPE seconds; 16,384 characters is the most a 1024-position model takes.
        var word = new string('a', 20_000);
        var body = field == "prompt"
            ? (object)new { prompt = word }
            : new { prompt = "x", steering = new { additions = new[] { new Dictionary<string, object> { ["plus"] = field == "plus" ? word : "a", ["minus"] = field == "minus" ? word : "b", ["layer"] = 1, ["coeff"] = 1 } } } };

        // Act
        var started = DateTime.UtcNow;
        var result = await Client.PostAsync("/v1/completions", body);

        // Assert
        result.ShouldBeError(HttpStatusCode.BadRequest, messageParts: "the text is 20000 characters long; this server takes at most 16384");
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_stop_string_over_256_characters_is_a_400()
    {
        // Act
        var result = await Client.PostAsync("/v1/completions", new { prompt = "x", stop = new string('z', 257) });

        // Assert
        result.ShouldBeError(HttpStatusCode.BadRequest, messageParts: "longer than 256 characters").GetProperty("param").GetString().ShouldBe("stop");
    }

    [Fact]
    public async Task An_empty_body_is_a_400()
    {
        // Act
        var result = await Client.PostAsync("/v1/completions", "");

        // Assert
        result.ShouldBeError(HttpStatusCode.BadRequest, messageParts: "empty");
    }

    [Fact]
    public async Task A_prompt_shorter_than_its_steering_vector_is_a_400_from_the_worker_and_pad_makes_it_fit()
    {
        // Act
        var refused = await Client.PostAsync("/v1/completions", $$"""{"prompt": "I", "max_tokens": 2, "steering": {{Steering}}}""");
        var padded = await Client.PostAsync("/v1/completions",
            """{"prompt": "I", "max_tokens": 2, "steering": {"additions":[{"plus":"Love","minus":"Hate","layer":1,"coeff":5}], "short_prompt": "pad"}}""");

        // Assert
        refused.ShouldBeError(HttpStatusCode.BadRequest, messageParts: ["the prompt has 2 tokens but the steering vector spans 3 positions"]);
        padded.Status.ShouldBe(HttpStatusCode.OK, padded.Body);
    }

    [Fact]
    public async Task Another_model_name_is_a_404_model_not_found()
    {
        // Act
        var result = await Client.PostAsync("/v1/completions", """{"model": "gpt-3.5-turbo-instruct", "prompt": "x"}""");

        // Assert
        var error = result.ShouldBeError(HttpStatusCode.NotFound, messageParts: "'gpt-3.5-turbo-instruct' does not exist");
        error.GetProperty("code").GetString().ShouldBe("model_not_found");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413()
    {
        // Arrange
        var body = $$"""{"prompt": "{{new string('a', 1_100_000)}}"}""";

        // Act
        var result = await Client.PostAsync("/v1/completions", body);

        // Assert
        result.ShouldBeError(HttpStatusCode.RequestEntityTooLarge, messageParts: "larger than the server's limit of 1048576 bytes");
    }

    [Fact]
    public async Task Unknown_paths_and_wrong_methods_get_json_errors_too()
    {
        // Act
        var missing = await Client.GetJsonAsync("/v1/chat/nothing");
        var wrongMethod = await Client.GetJsonAsync("/v1/completions");

        // Assert
        missing.ShouldBeError(HttpStatusCode.NotFound, messageParts: "no such endpoint");
        wrongMethod.ShouldBeError(HttpStatusCode.MethodNotAllowed, messageParts: "GET is not allowed");
    }

    [Fact]
    public async Task Every_truncation_of_a_valid_request_is_a_400_and_never_a_500()
    {
        // Arrange
        const string valid = """{"prompt": ["I hate", [50256, 40]], "max_tokens": 2, "n": 1, "stop": ["\n"], "steering": {"additions": [{"plus": "Love", "minus": "Hate", "layer": 1, "coeff": 5}], "short_prompt": "pad"}}""";

        // Act
        var statuses = new List<HttpStatusCode>();
        for (var length = 1; length < valid.Length; length++)
            statuses.Add((await Client.PostAsync("/v1/completions", valid[..length])).Status);
        var whole = await Client.PostAsync("/v1/completions", valid);

        // Assert
        statuses.ShouldAllBe(s => s == HttpStatusCode.BadRequest);
        whole.Status.ShouldBe(HttpStatusCode.OK, whole.Body);
    }

    [Fact]
    public async Task A_bug_is_a_500_server_error_with_a_generic_message_that_gives_nothing_away()
    {
        // Arrange: a server whose state cannot be built, so every endpoint fails inside its handler.
        using var broken = server.Factory.WithWebHostBuilder(web => web.ConfigureTestServices(services =>
            services.AddSingleton<ServerState>(_ => throw new InvalidOperationException("secret internal detail"))));
        using var client = broken.CreateClient();

        // Act
        var result = await client.GetJsonAsync("/v1/models");

        // Assert
        result.ShouldBeError(HttpStatusCode.InternalServerError, "server_error", "the server had an internal error");
        result.Body.ShouldNotContain("secret internal detail");
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_are_a_400()
    {
        // Arrange
        using var content = new ByteArrayContent([(byte)'{', 0xff, 0xfe, (byte)'}']);

        // Act
        var response = await Client.PostAsync("/v1/completions", content);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()).ShouldContain("invalid_request_error");
    }
}
