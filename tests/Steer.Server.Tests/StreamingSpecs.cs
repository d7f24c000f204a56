using System.Net;
using System.Text.Json;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>"stream": true sends server-sent events, one chunk per token, that add up to the non-streamed completion.</summary>
public sealed class StreamingSpecs(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Prompt = "I hate you because";

    private HttpClient Client => server.Client;

    [Fact]
    public async Task Streamed_chunks_add_up_to_the_non_streamed_texts_and_end_with_done()
    {
        // Arrange
        var request = new { prompt = Prompt, max_tokens = 10, n = 2, seed = 3 };
        var whole = await Client.PostAsync("/v1/completions", request);

        // Act
        var streamed = await Client.PostAsync("/v1/completions", new { request.prompt, request.max_tokens, request.n, request.seed, stream = true });

        // Assert
        streamed.Status.ShouldBe(HttpStatusCode.OK, streamed.Body);
        streamed.Response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = Api.Events(streamed.Body);
        events[^1].ShouldBe("[DONE]");
        events.Count.ShouldBeGreaterThanOrEqualTo(2 * 10);
        foreach (var data in events.SkipLast(1))
        {
            using var chunk = JsonDocument.Parse(data);
            chunk.RootElement.GetProperty("object").GetString().ShouldBe("text_completion");
            chunk.RootElement.GetProperty("model").GetString().ShouldBe(server.ModelId);
        }
        var (texts, reasons) = Api.Streamed(streamed.Body, 2);
        texts.ShouldBe(whole.Texts());
        reasons.ShouldBe(["length", "length"]);
    }

    [Fact]
    public async Task Every_chunk_of_one_stream_has_the_same_id()
    {
        // Act
        var streamed = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 4, seed = 1, stream = true });

        // Assert
        Api.Events(streamed.Body).SkipLast(1).Select(d => JsonDocument.Parse(d).RootElement.GetProperty("id").GetString()).Distinct().ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Include_usage_adds_a_last_chunk_with_the_usage_and_no_choices()
    {
        // Act
        var streamed = await Client.PostAsync("/v1/completions", new
        {
            prompt = Prompt,
            max_tokens = 5,
            seed = 1,
            stream = true,
            stream_options = new { include_usage = true },
        });

        // Assert
        var events = Api.Events(streamed.Body);
        events[^1].ShouldBe("[DONE]");
        var last = JsonDocument.Parse(events[^2]).RootElement;
        last.GetProperty("choices").GetArrayLength().ShouldBe(0);
        last.GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBe(5);
        last.GetProperty("usage").GetProperty("prompt_tokens").GetInt32().ShouldBe(5);
    }

    [Fact]
    public async Task A_streamed_stop_string_never_shows_text_that_the_stop_takes_back()
    {
        // Arrange
        var full = (await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 20, seed = 5 })).Texts().Single();
        var stop = full.Substring(full.Length / 2, 4);
        var stopped = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 20, seed = 5, stop });

        // Act
        var streamed = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 20, seed = 5, stop, stream = true });

        // Assert
        var (texts, reasons) = Api.Streamed(streamed.Body, 1);
        texts.ShouldBe(stopped.Texts());
        texts[0].ShouldNotContain(stop);
        reasons.ShouldBe(["stop"]);
    }

    [Fact]
    public async Task A_streamed_steered_completion_equals_the_non_streamed_one()
    {
        // Arrange
        var steering = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 5 } } };
        var whole = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 8, seed = 2, steering });

        // Act
        var streamed = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 8, seed = 2, steering, stream = true });

        // Assert
        Api.Streamed(streamed.Body, 1).Texts.ShouldBe(whole.Texts());
    }

    [Fact]
    public async Task Streamed_logprobs_come_one_token_per_chunk()
    {
        // Arrange
        var whole = (await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 6, seed = 8, logprobs = 2 })).Json();
        var expected = whole.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()).ToArray();

        // Act
        var streamed = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 6, seed = 8, logprobs = 2, stream = true });

        // Assert
        var tokens = Api.Events(streamed.Body).SkipLast(1)
            .Select(d => JsonDocument.Parse(d).RootElement.GetProperty("choices")[0].GetProperty("logprobs"))
            .Where(l => l.ValueKind == JsonValueKind.Object)
            .Select(l => l.GetProperty("tokens").EnumerateArray().ShouldHaveSingleItem().GetString())
            .ToArray();
        tokens.ShouldBe(expected);
    }

    [Fact]
    public async Task A_stream_that_the_worker_refuses_gets_a_plain_400_not_a_broken_stream()
    {
        // Act: "I" is shorter than the 3 positions of the Love − Hate vector, and the default policy refuses it.
        var result = await Client.PostAsync("/v1/completions", new
        {
            prompt = "I",
            max_tokens = 4,
            stream = true,
            steering = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 5 } } },
        });

        // Assert
        result.ShouldBeError(HttpStatusCode.BadRequest, messageParts: "spans 3 positions");
    }
}
