using System.Net.Http.Json;
using System.Text;

namespace Steer.Server.Tests.Infrastructure;

/// <summary>
/// A long streamed generation that keeps the worker busy until it is disposed (the client disconnects), so that a
/// test can fill the queue deterministically behind it.
/// </summary>
public sealed class Blocker : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;

    private Blocker(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _body = body;
    }

    public const int MaxTokens = 1000;

    /// <summary>Starts the generation and returns once its first token has arrived, i.e. once the worker is on it.</summary>
    public static async Task<Blocker> StartAsync(HttpClient client)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "Keep the worker busy", max_tokens = MaxTokens, top_p = 0.5, stream = true, seed = 0 }),
        };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStreamAsync();
        var seen = new StringBuilder();
        var buffer = new byte[256];
        while (!seen.ToString().Contains("data: ", StringComparison.Ordinal))
        {
            var read = await body.ReadAsync(buffer);
            if (read == 0) throw new InvalidOperationException($"the blocker ended before its first token: {seen}");
            seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return new Blocker(response, body);
    }

    /// <summary>Disconnects: the server sees the connection close and cancels the generation.</summary>
    public async ValueTask DisposeAsync()
    {
        await _body.DisposeAsync();
        _response.Dispose();
    }
}
