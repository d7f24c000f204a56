using System.Diagnostics;
using System.Net;
using Steer.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Steer.Server.Tests;

/// <summary>A bounded load test on loopback: 40 requests at once, steered and plain, streamed and whole.</summary>
public sealed class LoadSpecs(TestModel model, ITestOutputHelper output) : IClassFixture<TestModel>
{
    private const int Requests = 40;

    [Fact]
    public async Task Forty_concurrent_requests_get_no_5xx_run_batched_and_leave_the_server_serving()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        using var client = server.CreateClient();
        var steering = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 5 } } };
        object Body(int i) => (i % 4) switch
        {
            0 => new { prompt = $"Request {i} says", max_tokens = 16, seed = i },
            1 => new { prompt = $"Request {i} says", max_tokens = 16, seed = i, steering },
            2 => new { prompt = $"Request {i} says", max_tokens = 12, seed = i, stream = true },
            _ => new { prompt = $"Request {i} says", max_tokens = 12, seed = i, stream = true, steering = new { recipe = "love-hate" } },
        };
        var latencies = new double[Requests];
        async Task<HttpStatusCode> SendAsync(int i)
        {
            var watch = Stopwatch.StartNew();
            var result = await client.PostAsync("/v1/completions", Body(i));
            latencies[i] = watch.Elapsed.TotalSeconds;
            return result.Status;
        }

        // Act
        var total = Stopwatch.StartNew();
        var statuses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(SendAsync)).WaitAsync(TimeSpan.FromMinutes(5));
        total.Stop();
        var after = await client.PostAsync("/v1/completions", new { prompt = "Still there?", max_tokens = 4 });
        var health = await client.HealthAsync();

        // Assert
        var worker = health.GetProperty("worker");
        output.WriteLine($"{Requests} concurrent requests in {total.Elapsed.TotalSeconds:0.00} s; latency median {Median(latencies):0.00} s, max {latencies.Max():0.00} s; " +
            $"statuses {string.Join(", ", statuses.GroupBy(s => (int)s).Select(g => $"{g.Key}×{g.Count()}"))}; worker {worker}");
        statuses.ShouldAllBe(s => (int)s < 500);
        statuses.ShouldAllBe(s => s == HttpStatusCode.OK, "the queue holds 64, so none of the 40 is turned away");
        after.Status.ShouldBe(HttpStatusCode.OK);
        health.GetProperty("queued").GetInt32().ShouldBe(0);
        worker.GetProperty("requests").GetInt64().ShouldBe(Requests + 1);
        worker.GetProperty("batches").GetInt64().ShouldBeLessThan(Requests, "queued requests share batches");
        worker.GetProperty("mixed_batches").GetInt64().ShouldBeGreaterThan(0, "steered and unsteered requests ran together");
    }

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);
}
