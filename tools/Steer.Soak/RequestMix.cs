using System.Text;

namespace Steer.Soak;

/// <summary>The soak's mix of valid, steered, streamed, cancelled, invalid, oversized and misrouted requests.</summary>
internal sealed class RequestMix(HttpClient http)
{
    private static readonly string[] Prompts = ["I hate you because", "Today I feel", "The weather is", "My friend said"];

    private const string Steering = """{"additions": [{"plus": "Love", "minus": "Hate", "layer": 0, "coeff": 5}]}""";

    // One per kind of bad input the README promises a 400 for, so that each error path is exercised over and over.
    private static readonly string[] Invalid =
    [
        """{"prompt": "x", """,
        """[1, 2, 3]""",
        """{"prompt": "x", "max_tokens": "ten"}""",
        """{"prompt": 5}""",
        """{"prompt": "x", "temperature": 7}""",
        """{"prompt": "x", "max_tokens": 100000}""",
        """{"prompt": "x", "n": 1000}""",
        """{"prompt": "x", "stop": ["a", "b", "c", "d", "e"]}""",
        """{"prompt": "x", "steering": {"additions": [{"plus": "Love", "minus": "Hate", "layer": 99, "coeff": 5}]}}""",
        """{"prompt": "x", "steering": {"recipe": "no-such-recipe"}}""",
        """{"prompt": "x", "steering": {"vector": "vec_missing"}}""",
    ];

    // Over the server's 1 MiB limit, built once: the point is the server's handling of it, not the client's allocations.
    private static readonly byte[] Oversized = Encoding.UTF8.GetBytes($$"""{"prompt": "{{new string('a', 1_100_000)}}"}""");

    public IReadOnlyList<RequestKind> Kinds(bool chat)
    {
        var kinds = new List<RequestKind>
        {
            new("complete", 3, [200], (n, ct) => Post("/v1/completions", Completion(n, steered: false, stream: false, 12), ct)),
            new("steered", 3, [200], (n, ct) => Post("/v1/completions", Completion(n, steered: true, stream: false, 12), ct)),
            new("stream", 3, [200], (n, ct) => Stream("/v1/completions", Completion(n, steered: n % 2 == 0, stream: true, 16), abort: false, ct)),
            // Many tokens, so that the generation is still running when the client goes away after the first one.
            new("cancel", 2, [200], (n, ct) => Stream("/v1/completions", Completion(n, steered: n % 2 == 0, stream: true, 200), abort: true, ct)),
            new("invalid", 3, [400], (n, ct) => Post("/v1/completions", Invalid[n % Invalid.Length], ct)),
            new("oversized", 1, [413], (_, ct) => Send(HttpMethod.Post, "/v1/completions", new ByteArrayContent(Oversized) { Headers = { ContentType = new("application/json") } }, ct)),
            new("not-found", 1, [404, 405], (n, ct) => n % 2 == 0
                ? Send(HttpMethod.Get, "/v1/no-such-route", null, ct)
                : Send(HttpMethod.Delete, "/v1/completions", null, ct)),
        };
        if (chat)
        {
            kinds.Add(new("chat", 2, [200], (n, ct) => Post("/v1/chat/completions", Chat(n, stream: false), ct)));
            kinds.Add(new("chat-stream", 2, [200], (n, ct) => Stream("/v1/chat/completions", Chat(n, stream: true), abort: false, ct)));
        }
        return kinds;
    }

    private static string Completion(int n, bool steered, bool stream, int maxTokens) =>
        $$"""{"prompt": "{{Prompts[n % Prompts.Length]}}", "max_tokens": {{maxTokens}}, "seed": {{n}}, "stream": {{(stream ? "true" : "false")}}{{(steered ? $", \"steering\": {Steering}" : "")}}}""";

    private static string Chat(int n, bool stream) =>
        $$"""{"messages": [{"role": "user", "content": "{{Prompts[n % Prompts.Length]}}"}], "max_tokens": 12, "seed": {{n}}, "stream": {{(stream ? "true" : "false")}}, "chat_template_kwargs": {"enable_thinking": false}{{(n % 2 == 0 ? $", \"steering\": {Steering}" : "")}}}""";

    private Task<Outcome> Post(string path, string json, CancellationToken ct) =>
        Send(HttpMethod.Post, path, new StringContent(json, Encoding.UTF8, "application/json"), ct);

    private async Task<Outcome> Send(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        // Only for the oversized body, as curl does for large uploads: see the handler's Expect100ContinueTimeout.
        request.Headers.ExpectContinue = content is ByteArrayContent { Headers.ContentLength: > 1 << 20 };
        using var response = await http.SendAsync(request, ct);
        return new Outcome((int)response.StatusCode);
    }

    /// <summary>
    /// A server-sent event stream, read to <c>[DONE]</c>, or abandoned after its first event. A 200 stream that ends
    /// without <c>[DONE]</c> is a failure: it is how an error after the headers shows, where a 500 no longer can.
    /// </summary>
    private async Task<Outcome> Stream(string path, string json, bool abort, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var status = (int)response.StatusCode;
        if (status != 200)
        {
            await response.Content.ReadAsByteArrayAsync(ct);
            return new Outcome(status);
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line == "data: [DONE]")
                return new Outcome(status);
            if (line.StartsWith("data: {\"error\"", StringComparison.Ordinal))
                return new Outcome(status, $"error event: {line[6..]}");
            // Disposing the response now closes the connection (the handler never drains it, see Program), which
            // the server must see as a client gone away and cancel the generation.
            if (abort && line.StartsWith("data: ", StringComparison.Ordinal))
                return new Outcome(status);
        }
        return new Outcome(status, "stream ended without [DONE]");
    }
}
