namespace Steer.Server.Endpoints;

/// <summary>The playground at <c>/</c>: four files embedded in this assembly, so it works with no network at all.</summary>
internal static class PlaygroundEndpoints
{
    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/chat.js", "chat.js", "text/javascript; charset=utf-8"),
        ("/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            var bytes = Load(resource);
            app.MapGet(path, async context =>
            {
                context.Response.ContentType = contentType;
                context.Response.Headers.CacheControl = "no-cache";
                // Everything the page needs comes from this server; the policy makes a stray CDN reference fail loudly.
                context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; connect-src 'self'; img-src 'self' data:";
                await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
            });
        }
    }

    private static byte[] Load(string name)
    {
        using var stream = typeof(PlaygroundEndpoints).Assembly.GetManifestResourceStream($"Steer.Server.wwwroot.{name}")
            ?? throw new InvalidOperationException($"the playground file {name} is not embedded in Steer.Server");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
