using System.Net;
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
