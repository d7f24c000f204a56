using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steer.Server.Http;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>One Information line per request on Steer.Server.Requests, with its id, route, status, token counts and time; the prompt only when asked for.</summary>
public sealed class RequestLogSpecs(TestModel model) : IClassFixture<TestModel>
{
    private const string Key = "sk-log-test-key";
    private const string Prompt = "The zebra password is hunter2";

    [Fact]
    public async Task Each_request_logs_one_line_without_the_prompt_or_the_key()
    {
        // Arrange
        var logs = new CapturingLoggerProvider();
        await using var server = await RealServer.StartAsync(model, new ServerOptions { ApiKey = Key },
            host => host.ConfigureLogging(logging => logging.AddProvider(logs)));
        using var client = server.CreateClient(Key);
        using var wrongKey = server.CreateClient("sk-wrong-key");

        // Act
        var completion = await client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 4, seed = 1 });
        var refused = await wrongKey.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 4 });
        var health = await client.GetJsonAsync("/healthz");

        // Assert
        completion.Status.ShouldBe(HttpStatusCode.OK, completion.Body);
        refused.Status.ShouldBe(HttpStatusCode.Unauthorized);
        var lines = await LinesAsync(logs, 3);
        lines.Count.ShouldBe(3, string.Join("\n", lines));
        var id = completion.Response.Headers.GetValues(RequestTelemetry.RequestIdHeader).ShouldHaveSingleItem();
        id.ShouldStartWith("req_");
        var usage = completion.Json().GetProperty("usage");
        lines[0].ShouldBe($"request {id} POST /v1/completions 200 {usage.GetProperty("prompt_tokens").GetInt32()} "
            + $"{usage.GetProperty("completion_tokens").GetInt32()} {lines[0].Split(' ')[^1]}");
        double.Parse(lines[0].Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        lines[1].ShouldContain(" POST /v1/completions 401 0 0 ");
        lines[2].ShouldContain(" GET /healthz 200 ");
        health.Response.Headers.GetValues(RequestTelemetry.RequestIdHeader).ShouldHaveSingleItem().ShouldNotBe(id);
        foreach (var entry in logs.Entries)
        {
            entry.Message.ShouldNotContain("zebra");
            entry.Message.ShouldNotContain(Key);
            entry.Message.ShouldNotContain("sk-wrong-key");
        }
    }

    [Fact]
    public async Task With_log_prompts_the_line_holds_the_request_body()
    {
        // Arrange
        var logs = new CapturingLoggerProvider();
        await using var server = await RealServer.StartAsync(model, new ServerOptions { LogPrompts = true },
            host => host.ConfigureLogging(logging => logging.AddProvider(logs)));
        using var client = server.CreateClient();

        // Act
        var completion = await client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 4, seed = 1 });

        // Assert
        completion.Status.ShouldBe(HttpStatusCode.OK, completion.Body);
        var line = (await LinesAsync(logs, 1)).ShouldHaveSingleItem();
        line.ShouldContain(" POST /v1/completions 200 ");
        line.ShouldContain(Prompt);
    }

    /// <summary>The request lines; the line is written after the response, so the client may see the answer first.</summary>
    private static async Task<IReadOnlyList<string>> LinesAsync(CapturingLoggerProvider logs, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (logs.Messages(RequestTelemetry.Category).Count < expected && DateTime.UtcNow < deadline) await Task.Delay(10);
        await Task.Delay(50);   // and no more than expected arrive
        logs.Entries.Where(e => e.Category == RequestTelemetry.Category).ShouldAllBe(e => e.Level == LogLevel.Information);
        return logs.Messages(RequestTelemetry.Category);
    }
}
