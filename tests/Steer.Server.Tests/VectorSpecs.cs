using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Steer.Cli;
using Steer.Server.Steering;
using Steer.Server.Tests.Infrastructure;
using Steer.Steering;

namespace Steer.Server.Tests;

/// <summary>POST /v1/vectors computes and registers a vector; requests then steer with it by id.</summary>
public sealed class VectorSpecs(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Prompt = "I hate you because";
    private static readonly object[] LoveHate = [new { plus = "Love", minus = "Hate", layer = 1, coeff = 5 }];

    private HttpClient Client => server.Client;

    [Fact]
    public async Task A_registered_vector_steers_exactly_as_its_additions_given_inline()
    {
        // Arrange
        var created = await Client.PostAsync("/v1/vectors", new { name = "love-hate", additions = LoveHate });
        var id = created.Json().GetProperty("id").GetString()!;
        var inline = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 10, seed = 4, steering = new { additions = LoveHate } });

        // Act
        var byId = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 10, seed = 4, steering = new { vector = id } });

        // Assert
        created.Status.ShouldBe(HttpStatusCode.OK, created.Body);
        byId.Status.ShouldBe(HttpStatusCode.OK, byId.Body);
        byId.Texts().ShouldBe(inline.Texts());
    }

    [Fact]
    public async Task Creating_a_vector_describes_its_hook_points_positions_and_additions()
    {
        // Act
        var created = await Client.PostAsync("/v1/vectors", new { additions = LoveHate, pad_id = 50256 });

        // Assert
        var json = created.Json();
        json.GetProperty("id").GetString()!.ShouldStartWith("vec_");
        json.GetProperty("object").GetString().ShouldBe("steering_vector");
        json.GetProperty("model").GetString().ShouldBe(server.ModelId);
        json.GetProperty("positions").GetInt32().ShouldBe(3);
        json.GetProperty("hook_points").EnumerateArray().ShouldHaveSingleItem().GetString().ShouldBe("blocks.1.hook_resid_pre");
        var addition = json.GetProperty("additions").EnumerateArray().ShouldHaveSingleItem();
        addition.GetProperty("plus").GetString().ShouldBe("Love");
        addition.GetProperty("minus").GetString().ShouldBe("Hate");
        addition.GetProperty("coeff").GetDouble().ShouldBe(5);
        addition.GetProperty("pad_id").GetInt32().ShouldBe(50256);
    }

    [Fact]
    public async Task The_command_line_and_the_api_build_bit_identical_vectors_from_the_same_additions()
    {
        // Arrange: a recipe, a pair, and single additions by block number and by hook point name, padded with 50256.
        var path = Path.Combine(Path.GetTempPath(), $"steer-cli-vector-{Guid.NewGuid():N}.safetensors");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = SteerCli.Run(["vector", "--model", server.Model.Path, "--out", path, "--recipe", "love-hate",
            "--plus", "Intent to praise", "--minus", "Hate", "--layer", "1", "--coeff", "5",
            "--add", "Anger:2@0", "--add", "Calm:-1.5@blocks.1.hook_resid_pre", "--pad-id", "50256"], new CliContext(output, error));
        object[] additions =
        [
            new { plus = "Intent to praise", minus = "Hate", layer = 1, coeff = 5 },
            new { plus = "Anger", layer = 0, coeff = 2 },
            new { plus = "Calm", layer = "blocks.1.hook_resid_pre", coeff = -1.5 },
        ];

        // Act
        var created = await Client.PostAsync("/v1/vectors", new { recipe = "love-hate", additions, pad_id = 50256 });

        // Assert
        try
        {
            exitCode.ShouldBe(0, error.ToString());
            created.Status.ShouldBe(HttpStatusCode.OK, created.Body);
            var id = created.Json().GetProperty("id").GetString()!;
            var api = server.Factory.Services.GetRequiredService<VectorRegistry>().Get(id)!.Vector;
            var cli = SteeringVectorFile.Load(path);
            cli.Components.Select(c => (c.HookPoint, c.Positions)).ShouldBe(api.Components.Select(c => (c.HookPoint, c.Positions)));
            foreach (var (a, c) in api.Components.Zip(cli.Components))
                a.Values.SequenceEqual(c.Values).ShouldBeTrue($"the vectors differ at {a.HookPoint}");
            cli.Metadata.Additions.ShouldBe(api.Metadata.Additions);
            api.Metadata.Additions.Select(a => a.PadId).ShouldBe([50256, 50256, null, null]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_transplant_is_built_as_the_command_lines_record_layer_and_rescale_to_layer()
    {
        var path = Path.Combine(Path.GetTempPath(), $"steer-cli-vector-{Guid.NewGuid():N}.safetensors");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = SteerCli.Run(["vector", "--model", server.Model.Path, "--out", path,
            "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--record-layer", "0", "--rescale-to-layer"], new CliContext(output, error));

        var created = await Client.PostAsync("/v1/vectors", new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 5, record_layer = 0, rescale = true } } });

        try
        {
            exitCode.ShouldBe(0, error.ToString());
            created.Status.ShouldBe(HttpStatusCode.OK, created.Body);
            var api = server.Factory.Services.GetRequiredService<VectorRegistry>().Get(created.Json().GetProperty("id").GetString()!)!.Vector;
            var cli = SteeringVectorFile.Load(path);
            api.Components.Single().Values.SequenceEqual(cli.Components.Single().Values).ShouldBeTrue();
            api.Metadata.Additions.ShouldBe(cli.Metadata.Additions);
            api.Metadata.Additions.Single().RecordHookPoint.ShouldBe("blocks.0.hook_resid_pre");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_recipe_vector_notes_that_its_layers_were_scaled_to_this_model()
    {
        // Act
        var created = await Client.PostAsync("/v1/vectors", new { recipe = "love-hate" });

        // Assert
        created.Status.ShouldBe(HttpStatusCode.OK, created.Body);
        created.Json().GetProperty("notes").EnumerateArray().ShouldHaveSingleItem().GetString()!.ShouldContain("scaled to layer 0");
    }

    [Fact]
    public async Task Vectors_are_listed_fetched_and_deleted_and_a_deleted_id_is_refused()
    {
        // Arrange
        var id = (await Client.PostAsync("/v1/vectors", new { name = "to delete", additions = LoveHate })).Json().GetProperty("id").GetString()!;

        // Act
        var listed = await Client.GetJsonAsync("/v1/vectors");
        var fetched = await Client.GetJsonAsync($"/v1/vectors/{id}");
        var deleted = await Client.DeleteAsync($"/v1/vectors/{id}");
        var afterwards = await Client.GetJsonAsync($"/v1/vectors/{id}");
        var used = await Client.PostAsync("/v1/completions", new { prompt = Prompt, steering = new { vector = id } });

        // Assert
        listed.Json().GetProperty("object").GetString().ShouldBe("list");
        listed.Json().GetProperty("data").EnumerateArray().Select(v => v.GetProperty("id").GetString()).ShouldContain(id);
        fetched.Json().GetProperty("name").GetString().ShouldBe("to delete");
        deleted.StatusCode.ShouldBe(HttpStatusCode.OK);
        afterwards.ShouldBeError(HttpStatusCode.NotFound, messageParts: id);
        used.ShouldBeError(HttpStatusCode.BadRequest, messageParts: $"no steering vector with id '{id}'");
    }

    [Fact]
    public async Task A_vector_and_inline_additions_in_one_request_are_summed()
    {
        // Arrange
        var love = (await Client.PostAsync("/v1/vectors", new { additions = new[] { new { plus = "Love", layer = 1, coeff = 3 } } })).Json().GetProperty("id").GetString();
        var both = new object[] { new { plus = "Love", layer = 1, coeff = 3 }, new { plus = "Hate", layer = 1, coeff = -3 } };
        var inline = await Client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 8, seed = 2, steering = new { additions = both } });

        // Act
        var mixed = await Client.PostAsync("/v1/completions", new
        {
            prompt = Prompt,
            max_tokens = 8,
            seed = 2,
            steering = new { vector = love, additions = new[] { new { plus = "Hate", layer = 1, coeff = -3 } } },
        });

        // Assert
        mixed.Texts().ShouldBe(inline.Texts());
    }

    [Theory]
    [InlineData("""{}""", "additions", "needs additions or a recipe")]
    [InlineData("""{"additions": [{"plus": "a", "layer": 5, "coeff": 1}]}""", "additions[0].layer", "layer 5 is out of range")]
    [InlineData("""{"recipe": "nope"}""", "recipe", "no recipe named 'nope'")]
    [InlineData("""{"additions": [{"plus": "a", "layer": 1, "coeff": 1, "record_layer": 5}]}""", "additions[0].record_layer", "layer 5 is out of range")]
    [InlineData("""{"additions": [{"plus": "a", "layer": 1, "coeff": 1, "rescale": true}]}""", "additions[0].rescale", "give 'record_layer' too")]
    [InlineData("""{"additions": [{"plus": "a", "layer": 1, "coeff": 1, "record_layer": 0, "rescale": "yes"}]}""", "additions[0].rescale", "wrong type")]
    [InlineData("""{"additions": "Love"}""", "additions", "wrong type")]
    [InlineData("""{"additions": [{"plus": "a", "layer": 1, "coeff": 1}], "name": 7}""", "name", "wrong type")]
    public async Task Bad_vector_requests_are_400s(string body, string param, string message)
    {
        // Act
        var result = await Client.PostAsync("/v1/vectors", body);

        // Assert
        result.ShouldBeError(HttpStatusCode.BadRequest, messageParts: message).GetProperty("param").GetString().ShouldBe(param);
    }
}
