using System.Globalization;

namespace Steer.Server.Http;

/// <summary>
/// One log line and the metrics for every request, and its id in the <c>x-request-id</c> header. The log names the
/// route pattern, the status, the token counts and the time; the body (the prompt) only with
/// <see cref="ServerOptions.LogPrompts"/>, and never the API key, which is in a header no one logs.
/// </summary>
internal static class RequestTelemetry
{
    /// <summary>The category of the request lines, let through at Information while the rest of the host logs warnings only.</summary>
    public const string Category = "Steer.Server.Requests";

    public const string RequestIdHeader = "x-request-id";

    /// <summary>Enough of a body to recognise the request, not so much that one request floods the log.</summary>
    private const int LoggedBodyChars = 2000;

    public static IApplicationBuilder UseRequestTelemetry(this IApplicationBuilder app, ServerOptions options, ServerMetrics metrics)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        app.Use(async (context, next) =>
        {
            var id = "req_" + Guid.NewGuid().ToString("N")[..24];
            context.Response.Headers[RequestIdHeader] = id;
            if (options.LogPrompts) context.Request.EnableBuffering();
            var scope = RequestScope.Begin();
            try
            {
                await next(context);
            }
            finally
            {
                var route = Route(context);
                // A client that left before its answer was not answered 200: 499 as nginx logs it ("client closed request").
                var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
                var elapsed = scope.Elapsed;
                metrics.Requests.WithLabels(route, context.Request.Method, status.ToString(CultureInfo.InvariantCulture)).Inc();
                metrics.Duration.WithLabels(route).Observe(elapsed.TotalSeconds);
                if (scope.TimeToFirstToken is { } first) metrics.TimeToFirstToken.WithLabels(route).Observe(first.TotalSeconds);
                var usage = scope.Usage;
                var durationMs = Math.Round(elapsed.TotalMilliseconds, 1);
                if (options.LogPrompts)
                    logger.LogInformation("request {RequestId} {Method} {Route} {Status} {PromptTokens} {CompletionTokens} {DurationMs} body {Body}",
                        id, context.Request.Method, route, status, usage.PromptTokens, usage.CompletionTokens, durationMs, await BodyAsync(context));
                else
                    logger.LogInformation("request {RequestId} {Method} {Route} {Status} {PromptTokens} {CompletionTokens} {DurationMs}",
                        id, context.Request.Method, route, status, usage.PromptTokens, usage.CompletionTokens, durationMs);
            }
        });
        return app;
    }

    /// <summary>The endpoint's route pattern (<c>/v1/vectors/{id}</c>), never the raw path: unknown paths must not make new label values.</summary>
    private static string Route(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } ? pattern : "unmatched";

    private static async Task<string> BodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
            return request.ContentLength is { } length ? $"({length} bytes of {request.ContentType ?? "unknown type"})" : "";
        try
        {
            request.Body.Position = 0;
            var buffer = new char[LoggedBodyChars];
            using var reader = new StreamReader(request.Body, leaveOpen: true);
            var read = await reader.ReadBlockAsync(buffer, CancellationToken.None);
            return new string(buffer, 0, read) + (reader.Peek() >= 0 ? "…" : "");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            return "(unreadable)";
        }
    }
}
