using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Server.Scheduling;
using Steer.Server.Steering;
using Steer.Steering;
using Steer.Steering.Files;

namespace Steer.Server.Endpoints;

/// <summary>
/// Steering vectors computed once and used by id: <c>POST /v1/vectors</c> computes one (on the inference thread)
/// and registers it; <c>GET /v1/vectors</c>, <c>GET</c> and <c>DELETE /v1/vectors/{id}</c>.
/// </summary>
internal static class VectorEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/vectors", CreateAsync);
        app.MapGet("/v1/vectors", context => CompletionEndpoints.WriteJsonAsync(context, new ListResponse<VectorInfo>(ServerState.Of(context).Vectors.List())));
        app.MapGet("/v1/vectors/{id}", context =>
        {
            var id = (string)context.Request.RouteValues["id"]!;
            return CompletionEndpoints.WriteJsonAsync(context, ServerState.Of(context).Vectors.Get(id)?.Info ?? throw NotFound(id));
        });
        app.MapDelete("/v1/vectors/{id}", context =>
        {
            var id = (string)context.Request.RouteValues["id"]!;
            return ServerState.Of(context).Vectors.Remove(id)
                ? CompletionEndpoints.WriteJsonAsync(context, new { id, @object = "steering_vector.deleted", deleted = true })
                : throw NotFound(id);
        });
    }

    private static async Task CreateAsync(HttpContext context)
    {
        var state = ServerState.Of(context);
        if (context.Request.ContentType?.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) == true)
        {
            await UploadAsync(context, state);
            return;
        }
        var request = await ApiJson.ReadBodyAsync<VectorRequest>(context, state.Options.MaxBodyBytes);
        if (request.Name is { Length: > 256 }) throw ApiException.BadRequest("name is longer than 256 characters", "name");
        var spec = SteeringSpec.ParseVectorPart(request.Additions, request.Recipe, request.PadId, state.Model, param: "");
        if (!spec.HasAdditions) throw ApiException.BadRequest("a vector needs additions or a recipe", "additions");
        if (state.Vectors.List().Count >= state.Options.MaxVectors) throw Full(state);

        using var timeout = new CancellationTokenSource(state.Options.RequestTimeout);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, timeout.Token);
        var task = new ModelTask<(SteeringVector Vector, IReadOnlyList<string> Notes)>(model =>
        {
            // A vector request always has additions or a recipe, so there is a vector.
            var (vector, notes) = spec.ComputeAdditions(model);
            return (vector!, notes);
        }, cancellation.Token);
        if (!state.Queue.TryEnqueue(task))
            throw new ApiException(StatusCodes.Status429TooManyRequests, "rate_limit_error", "the server is busy; retry shortly", code: "queue_full");
        (SteeringVector Vector, IReadOnlyList<string> Notes) built;
        try
        {
            built = await task.Result;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            throw new ApiException(StatusCodes.Status504GatewayTimeout, "timeout_error", "computing the vector did not finish in time", code: "request_timeout");
        }
        var info = new VectorInfo(VectorRegistry.NewId(), "steering_vector", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), request.Name, state.ModelId,
            built.Vector.Positions, built.Vector.Components.Select(c => c.HookPoint).ToList(),
            built.Vector.Metadata.Additions, built.Notes);
        if (!state.Vectors.TryAdd(new RegisteredVector(built.Vector, info))) throw Full(state);
        await CompletionEndpoints.WriteJsonAsync(context, info);
    }

    /// <summary>
    /// A vector file as the body (<c>Content-Type: application/octet-stream</c>, optional <c>?name=</c>): a llama.cpp GGUF
    /// control vector or a Steer safetensors vector, told apart by the first bytes, checked against the served model.
    /// </summary>
    private static async Task UploadAsync(HttpContext context, ServerState state)
    {
        var name = context.Request.Query["name"].FirstOrDefault();
        if (name is { Length: > 256 }) throw ApiException.BadRequest("name is longer than 256 characters", "name");
        if (state.Vectors.List().Count >= state.Options.MaxVectors) throw Full(state);
        var bytes = await ApiJson.ReadBytesAsync(context, state.Options.MaxBodyBytes);
        var isGguf = bytes.AsSpan().StartsWith("GGUF"u8);
        var path = Path.Combine(Path.GetTempPath(), $"steer-upload-{Guid.NewGuid():N}{(isGguf ? ".gguf" : ".safetensors")}");
        SteeringVector vector;
        try
        {
            await File.WriteAllBytesAsync(path, bytes, context.RequestAborted);
            vector = isGguf ? ControlVectorFile.Load(path, state.Model) : SteeringVectorFile.Load(path);
            foreach (var component in vector.Components)
            {
                state.Model.ResolveHookPoint(component.HookPoint);
                if (component.ModelDim != state.Model.Shape.ModelDim)
                    throw new SteerException(ErrorKind.InvalidArgument,
                        $"the vector is {component.ModelDim} wide at {component.HookPoint} but the model's d_model is {state.Model.Shape.ModelDim}");
            }
        }
        catch (SteerException e)
        {
            // The temporary file's name means nothing to the client.
            throw ApiException.BadRequest($"the uploaded {(isGguf ? "GGUF" : "safetensors")} vector is not usable: {e.Message.Replace(path, "upload")}", "body");
        }
        finally
        {
            File.Delete(path);
        }
        var info = new VectorInfo(VectorRegistry.NewId(), "steering_vector", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), name, state.ModelId,
            vector.Positions, vector.Components.Select(c => c.HookPoint).ToList(), vector.Metadata.Additions, []);
        if (!state.Vectors.TryAdd(new RegisteredVector(vector, info))) throw Full(state);
        await CompletionEndpoints.WriteJsonAsync(context, info);
    }

    private static ApiException NotFound(string id) => ApiException.NotFound($"no steering vector with id '{id}'", "id", "vector_not_found");

    private static ApiException Full(ServerState state) => ApiException.BadRequest(
        $"the server holds {state.Options.MaxVectors} vectors already; delete one with DELETE /v1/vectors/{{id}}", code: "vector_limit_reached");
}
