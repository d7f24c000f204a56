using System.Net;
using System.Text.Json;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>
/// The inference worker on a real socket: queued requests are batched (steered with unsteered), a full queue is a
/// 429, and a client that leaves or a request that times out stops costing the worker anything.
/// </summary>
public sealed class SchedulingSpecs(TestModel model) : IClassFixture<TestModel>
{
    private static readonly object Steering = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 5 } } };

    private static Task WaitForAsync(HttpClient client, Func<JsonElement, bool> condition, string what) => WaitForAsync(client, condition, what, TimeSpan.FromSeconds(30));

    private static async Task WaitForAsync(HttpClient client, Func<JsonElement, bool> condition, string what, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonElement health;
        while (!condition(health = await client.HealthAsync()))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited {within.TotalSeconds} s for {what}: {health}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Steered_and_unsteered_requests_queued_together_share_one_batch_and_each_gives_its_text_alone()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        using var client = server.CreateClient();
        var plain = new { prompt = "I hate you because", max_tokens = 8, seed = 1 };
        var steered = new { prompt = "I hate you because", max_tokens = 12, seed = 2, steering = Steering };
        var plainAlone = await client.PostAsync("/v1/completions", plain);
        var steeredAlone = await client.PostAsync("/v1/completions", steered);
        var mixedBefore = (await client.HealthAsync()).GetProperty("worker").GetProperty("mixed_batches").GetInt64();

        // Act
        var blocker = await Blocker.StartAsync(client);
        var plainTask = client.PostAsync("/v1/completions", plain);
        var steeredTask = client.PostAsync("/v1/completions", steered);
        await WaitForAsync(client, h => h.GetProperty("queued").GetInt32() == 2, "both requests to queue behind the blocker");
        await blocker.DisposeAsync();
        var (plainBatched, steeredBatched) = (await plainTask, await steeredTask);

        // Assert
        plainBatched.Texts().ShouldBe(plainAlone.Texts());
        steeredBatched.Texts().ShouldBe(steeredAlone.Texts());
        steeredBatched.Texts().ShouldNotBe(plainBatched.Texts());
        var worker = (await client.HealthAsync()).GetProperty("worker");
        worker.GetProperty("mixed_batches").GetInt64().ShouldBe(mixedBefore + 1);
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_and_the_queued_request_still_completes()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model, new ServerOptions { MaxQueue = 1 });
        using var client = server.CreateClient();
        var blocker = await Blocker.StartAsync(client);
        var queued = client.PostAsync("/v1/completions", new { prompt = "queued", max_tokens = 3 });
        await WaitForAsync(client, h => h.GetProperty("queued").GetInt32() == 1, "the request to queue");

        // Act
        var refused = await client.PostAsync("/v1/completions", new { prompt = "one too many", max_tokens = 3 });
        await blocker.DisposeAsync();

        // Assert
        refused.ShouldBeError(HttpStatusCode.TooManyRequests, "rate_limit_error", "1 requests are already waiting").GetProperty("code").GetString().ShouldBe("queue_full");
        refused.Response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldBe(TimeSpan.FromSeconds(1));
        (await queued).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_frees_the_worker_long_before_its_budget()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        using var client = server.CreateClient();
        var blocker = await Blocker.StartAsync(client);

        // Act
        await blocker.DisposeAsync();
        await WaitForAsync(client, h => h.GetProperty("running").GetInt32() == 0 && h.GetProperty("worker").GetProperty("cancelled").GetInt64() == 1,
            "the worker to drop the disconnected generation");
        var next = await client.PostAsync("/v1/completions", new { prompt = "next", max_tokens = 2 });

        // Assert
        var worker = (await client.HealthAsync()).GetProperty("worker");
        worker.GetProperty("tokens").GetInt64().ShouldBeLessThan(Blocker.MaxTokens);
        next.Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_client_that_gives_up_while_queued_frees_its_place_in_the_queue()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model, new ServerOptions { MaxQueue = 1 });
        using var client = server.CreateClient();
        var blocker = await Blocker.StartAsync(client);
        using var giveUp = new CancellationTokenSource();
        var abandoned = client.PostAsync("/v1/completions", new { prompt = "abandoned", max_tokens = 3 }, giveUp.Token);
        await WaitForAsync(client, h => h.GetProperty("queued").GetInt32() == 1, "the request to queue");

        // Act
        await giveUp.CancelAsync();
        await WaitForAsync(client, h => h.GetProperty("queued").GetInt32() == 0, "the abandoned request to leave the queue");
        var next = client.PostAsync("/v1/completions", new { prompt = "next", max_tokens = 3 });
        await WaitForAsync(client, h => h.GetProperty("queued").GetInt32() == 1, "the next request to take the free place");
        await blocker.DisposeAsync();

        // Assert
        await Should.ThrowAsync<OperationCanceledException>(abandoned);
        (await next).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_request_over_the_time_limit_is_cancelled_with_a_504_and_frees_the_worker()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model, new ServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = server.CreateClient();

        // Act
        var result = await client.PostAsync("/v1/completions", new { prompt = "slow", max_tokens = 1000, top_p = 0.5 });
        await WaitForAsync(client, h => h.GetProperty("running").GetInt32() == 0, "the worker to stop");

        // Assert
        result.ShouldBeError(HttpStatusCode.GatewayTimeout, "timeout_error", "did not finish within the server's limit of 0.3 s");
        var worker = (await client.HealthAsync()).GetProperty("worker");
        worker.GetProperty("cancelled").GetInt64().ShouldBe(1);
        worker.GetProperty("tokens").GetInt64().ShouldBeLessThan(1000);
    }

    [Fact]
    public async Task A_stream_over_the_time_limit_ends_with_an_error_event_and_no_done()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model, new ServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = server.CreateClient();

        // Act
        var result = await client.PostAsync("/v1/completions", new { prompt = "slow", max_tokens = 1000, top_p = 0.5, stream = true });

        // Assert
        result.Status.ShouldBe(HttpStatusCode.OK);
        var events = Api.Events(result.Body);
        events.ShouldNotContain("[DONE]");
        JsonDocument.Parse(events[^1]).RootElement.GetProperty("error").GetProperty("type").GetString().ShouldBe("timeout_error");
    }
}
