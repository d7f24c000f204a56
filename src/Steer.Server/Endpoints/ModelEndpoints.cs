using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Steering;
using Steer.Steering.Recipes;

namespace Steer.Server.Endpoints;

/// <summary><c>GET /v1/models</c> (the one served model), <c>GET /v1/models/{id}</c>, <c>GET /v1/recipes</c> and <c>GET /healthz</c>.</summary>
internal static class ModelEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", context => CompletionEndpoints.WriteJsonAsync(context, new ListResponse<ModelInfo>([Info(ServerState.Of(context))])));
        // Ids may hold slashes ("openai-community/gpt2", a directory), hence the catch-all.
        app.MapGet("/v1/models/{**id}", context =>
        {
            var state = ServerState.Of(context);
            var id = (string?)context.Request.RouteValues["id"];
            return id == state.ModelId || id == state.ModelId.TrimStart('/')
                ? CompletionEndpoints.WriteJsonAsync(context, Info(state))
                : throw ApiException.NotFound($"the model '{id}' does not exist; this server serves '{state.ModelId}'", "model", "model_not_found");
        });
        app.MapGet("/v1/recipes", context =>
        {
            var layers = ServerState.Of(context).Model.Shape.Layers;
            var recipes = RecipeBook.BuiltIn.Select(r => new RecipeInfo(r.Name, r.Prompt, r.Tokens, r.Outcome,
                r.Additions.Select(a => Describe(a, layers)).ToList())).ToList();
            return CompletionEndpoints.WriteJsonAsync(context, new ListResponse<RecipeInfo>(recipes));
        });
        app.MapGet("/healthz", context =>
        {
            var state = ServerState.Of(context);
            return CompletionEndpoints.WriteJsonAsync(context,
                new HealthResponse("ok", state.ModelId, state.Queue.Count, state.Worker.Running, state.Worker.Statistics));
        });
    }

    private static object Describe(Addition addition, int layers)
    {
        var postLayer = Recipe.PostLayerOf(addition);
        return new { plus = addition.Plus, minus = addition.Minus, layer = Recipe.ScaleLayer(postLayer, layers), post_layer = postLayer, coeff = addition.Coeff };
    }

    private static ModelInfo Info(ServerState state) => new(state.ModelId, "model", state.Started.ToUnixTimeSeconds(), "steer",
        state.Model.Shape.ContextLength, state.Model.Shape.Layers, state.Model.Shape.ModelDim, state.ChatTemplate is not null);
}
