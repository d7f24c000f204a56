using System.Net;
using System.Text;
using System.Text.Json;

namespace Steer.Server.Tests.Infrastructure;

/// <summary>What one HTTP call answered.</summary>
public sealed record ApiResult(HttpStatusCode Status, string Body, HttpResponseMessage Response)
{
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.Clone();
    }

    /// <summary>An OpenAI-style error: the status, and <c>{"error":{"message","type",...}}</c> whose message holds every part.</summary>
    public JsonElement ShouldBeError(HttpStatusCode status, string type = "invalid_request_error", params string[] messageParts)
    {
        Status.ShouldBe(status, Body);
        Response.Content.Headers.ContentType?.MediaType.ShouldBe("application/json");
        var error = Json().GetProperty("error");
        error.GetProperty("type").GetString().ShouldBe(type);
        var message = error.GetProperty("message").GetString()!;
        foreach (var part in messageParts) message.ShouldContain(part, Case.Sensitive);
        message.ShouldNotContain("   at ");
        return error;
    }

    /// <summary>The choices' texts, in order.</summary>
    public string[] Texts() => Json().GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()!).ToArray();
}

public static class Api
{
    public static async Task<ApiResult> PostAsync(this HttpClient client, string path, string json, CancellationToken cancellationToken = default)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await client.PostAsync(path, content, cancellationToken);
        return new ApiResult(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), response);
    }

    public static Task<ApiResult> PostAsync(this HttpClient client, string path, object body, CancellationToken cancellationToken = default) =>
        client.PostAsync(path, JsonSerializer.Serialize(body), cancellationToken);

    public static async Task<ApiResult> GetJsonAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        return new ApiResult(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    /// <summary>The data lines of a server-sent event stream, without "data: ".</summary>
    public static IReadOnlyList<string> Events(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Trim())
            .Where(e => e.StartsWith("data: ", StringComparison.Ordinal))
            .Select(e => e["data: ".Length..])
            .ToList();

    /// <summary>The text of each choice of a streamed completion, concatenated from its chunks, and each choice's finish reason.</summary>
    public static (string[] Texts, string?[] FinishReasons) Streamed(string body, int choices)
    {
        var texts = new string[choices];
        var reasons = new string?[choices];
        foreach (var data in Events(body).Where(d => d != "[DONE]"))
        {
            using var chunk = JsonDocument.Parse(data);
            foreach (var choice in chunk.RootElement.GetProperty("choices").EnumerateArray())
            {
                var index = choice.GetProperty("index").GetInt32();
                texts[index] += choice.GetProperty("text").GetString();
                if (choice.GetProperty("finish_reason").GetString() is { } reason) reasons[index] = reason;
            }
        }
        return (texts.Select(t => t ?? "").ToArray(), reasons);
    }

    public static async Task<JsonElement> HealthAsync(this HttpClient client) => (await client.GetJsonAsync("/healthz")).Json();

    /// <summary>Polls /healthz until the worker has nothing queued or running.</summary>
    public static async Task WaitUntilIdleAsync(this HttpClient client, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var health = await client.HealthAsync();
            if (health.GetProperty("queued").GetInt32() == 0 && health.GetProperty("running").GetInt32() == 0) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the worker is still busy: {health}");
            await Task.Delay(20);
        }
    }
}
