using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>A stopping server (SIGTERM) takes no new requests and lets those in flight finish within the shutdown timeout.</summary>
public sealed class ShutdownSpecs(TestModel model) : IClassFixture<TestModel>
{
    private static readonly object LongRequest = new { prompt = "Once upon a time", max_tokens = 60, seed = 3, top_p = 0.5 };

    [Fact]
    public async Task A_request_in_flight_when_the_server_stops_completes_in_full()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model, new ServerOptions { ShutdownTimeout = TimeSpan.FromMinutes(2) });
        using var client = server.CreateClient();
        var expected = await client.PostAsync("/v1/completions", LongRequest);
        var inFlight = client.PostAsync("/v1/completions", LongRequest);
        await WaitUntilGeneratingAsync(client);

        // Act
        var stopping = server.StopAsync();
        await Task.Delay(200);   // the listener closes at once; the stop itself waits for the request
        using var late = server.CreateClient();
        var lateError = await Record.ExceptionAsync(async () =>
        {
            var response = await late.PostAsync("/v1/completions", new { prompt = "Too late", max_tokens = 2 });
            response.Status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        });
        var completed = await inFlight;
        await stopping.WaitAsync(TimeSpan.FromMinutes(2));

        // Assert
        expected.Status.ShouldBe(HttpStatusCode.OK, expected.Body);
        completed.Status.ShouldBe(HttpStatusCode.OK, completed.Body);
        completed.Texts().ShouldBe(expected.Texts());
        completed.Json().GetProperty("usage").GetProperty("completion_tokens").GetInt32()
            .ShouldBe(expected.Json().GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        (lateError is null or HttpRequestException).ShouldBeTrue(lateError?.ToString());
        inFlight.IsCompletedSuccessfully.ShouldBeTrue();
    }

    [Fact]
    public async Task A_request_still_queued_when_the_server_stops_runs_and_completes_too()
    {
        // Arrange: other sampling options than the running request's, so it waits for the next batch instead of joining.
        object queuedRequest = new { prompt = "Far away", max_tokens = 20, seed = 5, temperature = 0.7 };
        await using var server = await RealServer.StartAsync(model, new ServerOptions { ShutdownTimeout = TimeSpan.FromMinutes(2) });
        using var client = server.CreateClient();
        var expected = await client.PostAsync("/v1/completions", queuedRequest);
        var running = client.PostAsync("/v1/completions", LongRequest);
        await WaitUntilGeneratingAsync(client);
        var queued = client.PostAsync("/v1/completions", queuedRequest);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.HealthAsync()).GetProperty("queued").GetInt32() == 0 && DateTime.UtcNow < deadline) await Task.Delay(5);
        var queuedAtStop = (await client.HealthAsync()).GetProperty("queued").GetInt32();

        // Act
        await server.StopAsync().WaitAsync(TimeSpan.FromMinutes(2));

        // Assert
        queuedAtStop.ShouldBe(1);
        (await running).Status.ShouldBe(HttpStatusCode.OK);
        var completed = await queued;
        completed.Status.ShouldBe(HttpStatusCode.OK, completed.Body);
        completed.Texts().ShouldBe(expected.Texts());
    }

    [Fact]
    public async Task A_stopping_worker_finishes_its_running_and_queued_jobs_before_it_stops()
    {
        // Arrange: the worker is stopped directly, as if it stopped before the web server, with both jobs in flight.
        object queuedRequest = new { prompt = "Far away", max_tokens = 20, seed = 5, temperature = 0.7 };
        await using var server = await RealServer.StartAsync(model);
        using var client = server.CreateClient();
        var running = client.PostAsync("/v1/completions", LongRequest);
        await WaitUntilGeneratingAsync(client);
        var queued = client.PostAsync("/v1/completions", queuedRequest);
        while ((await client.HealthAsync()).GetProperty("queued").GetInt32() == 0) await Task.Delay(5);
        var worker = server.Services.GetRequiredService<InferenceWorker>();

        // Act
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await worker.StopAsync(timeout.Token);

        // Assert: both generated in full (a worker that stopped at once would have answered 503), within the timeout.
        (await running).Status.ShouldBe(HttpStatusCode.OK, (await running).Body);
        (await queued).Status.ShouldBe(HttpStatusCode.OK, (await queued).Body);
        timeout.IsCancellationRequested.ShouldBeFalse();
    }

    [Fact]
    public async Task A_worker_whose_shutdown_timeout_expires_fails_its_queued_jobs_with_503()
    {
        // Arrange
        object queuedRequest = new { prompt = "Far away", max_tokens = 20, seed = 5, temperature = 0.7 };
        await using var server = await RealServer.StartAsync(model);
        using var client = server.CreateClient();
        var running = client.PostAsync("/v1/completions", new { prompt = "Once upon a time", max_tokens = 1000, seed = 3, top_p = 0.5, n = 8 });
        await WaitUntilGeneratingAsync(client);
        var queued = client.PostAsync("/v1/completions", queuedRequest);
        while ((await client.HealthAsync()).GetProperty("queued").GetInt32() == 0) await Task.Delay(5);
        var worker = server.Services.GetRequiredService<InferenceWorker>();

        // Act
        await worker.StopAsync(new CancellationToken(canceled: true)).WaitAsync(TimeSpan.FromSeconds(30));

        // Assert
        (await queued).ShouldBeError(HttpStatusCode.ServiceUnavailable, "server_error", "shutting down");
        (await running).ShouldBeError(HttpStatusCode.ServiceUnavailable, "server_error", "shutting down");
    }

    [Fact]
    public async Task Work_still_running_when_the_shutdown_timeout_expires_does_not_hold_the_stop()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model, new ServerOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(100) });
        using var client = server.CreateClient();
        var inFlight = client.PostAsync("/v1/completions", new { prompt = "Once upon a time", max_tokens = 1000, seed = 3, top_p = 0.5, n = 8 });
        await WaitUntilGeneratingAsync(client);

        // Act
        var started = DateTime.UtcNow;
        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var stopTook = DateTime.UtcNow - started;
        var outcome = await Record.ExceptionAsync(async () =>
        {
            var response = await inFlight;
            response.Status.ShouldNotBe(HttpStatusCode.OK);
        });

        // Assert: the request was cut off (its connection aborted, or a 503), and the stop did not wait for 8000 tokens.
        stopTook.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        (outcome is null or HttpRequestException or TaskCanceledException).ShouldBeTrue(outcome?.ToString());
    }

    private static async Task WaitUntilGeneratingAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.HealthAsync()).GetProperty("running").GetInt32() == 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the request never started generating");
            await Task.Delay(5);
        }
    }
}
