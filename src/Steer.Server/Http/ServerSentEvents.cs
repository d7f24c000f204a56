namespace Steer.Server.Http;

/// <summary>OpenAI's streaming format: <c>data: {json}\n\n</c> per event, flushed at once, ending with <c>data: [DONE]</c>.</summary>
internal static class ServerSentEvents
{
    public static void Start(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";   // proxies such as nginx would otherwise hold the tokens back
    }

    public static async Task WriteAsync(HttpContext context, string data)
    {
        if (!context.Response.HasStarted) Start(context);
        await context.Response.WriteAsync($"data: {data}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }
}
