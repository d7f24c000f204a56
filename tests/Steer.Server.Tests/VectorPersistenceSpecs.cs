using System.Net;
using Steer.Server.Tests.Infrastructure;
using Steer.Steering;

namespace Steer.Server.Tests;

/// <summary>With a vector directory, registered vectors are written to it, deleted from it, and loaded again at start under the same ids.</summary>
public sealed class VectorPersistenceSpecs(TestModel model) : IClassFixture<TestModel>, IDisposable
{
    private const string Prompt = "I hate you because";
    private static readonly object[] LoveHate = [new { plus = "Love", minus = "Hate", layer = 1, coeff = 5 }];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "steer-vector-dir-" + Guid.NewGuid().ToString("N"));

    private ServerOptions Options => new() { VectorDirectory = _directory };

    [Fact]
    public async Task A_registered_vector_survives_a_restart_with_its_id_and_steers_the_same()
    {
        // Arrange
        string id, before, described;
        await using (var first = await RealServer.StartAsync(model, Options))
        {
            using var client = first.CreateClient();
            var created = await client.PostAsync("/v1/vectors", new { name = "love-hate", additions = LoveHate });
            created.Status.ShouldBe(HttpStatusCode.OK, created.Body);
            id = created.Json().GetProperty("id").GetString()!;
            described = created.Body;
            before = (await client.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 12, seed = 4, steering = new { vector = id } })).Texts().Single();
        }

        // Act
        await using var second = await RealServer.StartAsync(model, Options);
        using var again = second.CreateClient();
        var listed = await again.GetJsonAsync("/v1/vectors");
        var got = await again.GetJsonAsync($"/v1/vectors/{id}");
        var after = await again.PostAsync("/v1/completions", new { prompt = Prompt, max_tokens = 12, seed = 4, steering = new { vector = id } });

        // Assert
        File.Exists(Path.Combine(_directory, id + ".safetensors")).ShouldBeTrue();
        File.Exists(Path.Combine(_directory, id + ".json")).ShouldBeTrue();
        Directory.GetFiles(_directory).Length.ShouldBe(2);   // no temporary files left
        listed.Json().GetProperty("data").EnumerateArray().ShouldHaveSingleItem().GetProperty("id").GetString().ShouldBe(id);
        got.Body.ShouldBe(described);   // name, created, hook points, additions: all as registered
        after.Status.ShouldBe(HttpStatusCode.OK, after.Body);
        after.Texts().Single().ShouldBe(before);
        before.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task A_deleted_vector_is_gone_from_the_directory_and_after_a_restart()
    {
        // Arrange
        await using (var first = await RealServer.StartAsync(model, Options))
        {
            using var client = first.CreateClient();
            var id = (await client.PostAsync("/v1/vectors", new { additions = LoveHate })).Json().GetProperty("id").GetString()!;
            var kept = (await client.PostAsync("/v1/vectors", new { name = "kept", additions = LoveHate })).Json().GetProperty("id").GetString()!;

            // Act
            var deleted = await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/v1/vectors/{id}"));
            deleted.StatusCode.ShouldBe(HttpStatusCode.OK);
            Directory.GetFiles(_directory).Select(Path.GetFileName).Order().ShouldBe([kept + ".json", kept + ".safetensors"]);
        }
        await using var second = await RealServer.StartAsync(model, Options);
        using var again = second.CreateClient();
        var listed = await again.GetJsonAsync("/v1/vectors");

        // Assert
        listed.Json().GetProperty("data").EnumerateArray().ShouldHaveSingleItem().GetProperty("name").GetString().ShouldBe("kept");
    }

    [Fact]
    public void A_stored_vector_that_does_not_load_stops_the_start_naming_its_file()
    {
        // Arrange
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "vec_broken.json"), """{"id":"vec_broken","object":"steering_vector","created":1}""");
        File.WriteAllText(Path.Combine(_directory, "vec_broken.safetensors"), "not a safetensors file");
        using var lm = model.Load();

        // Act
        var error = Should.Throw<SteerException>(() => SteerServer.CreateHostBuilder(lm, Options));

        // Assert
        error.Message.ShouldContain(Path.Combine(_directory, "vec_broken.safetensors"));
    }

    [Fact]
    public void A_stored_vector_of_another_width_stops_the_start_naming_its_file_and_the_widths()
    {
        // Arrange: a vector 32 wide for a model 64 wide.
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "vec_narrow.safetensors");
        SteeringVectorFile.Save(new SteeringVector([SteeringComponent.Row("blocks.1.hook_resid_pre", new float[32])]), path);
        File.WriteAllText(Path.Combine(_directory, "vec_narrow.json"), """
            {"id":"vec_narrow","object":"steering_vector","created":1,"name":null,"model":"m","positions":1,"hook_points":["blocks.1.hook_resid_pre"],"additions":[],"notes":[]}
            """);
        using var lm = model.Load();

        // Act
        var error = Should.Throw<SteerException>(() => SteerServer.CreateHostBuilder(lm, Options));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain(path);
        error.Message.ShouldContain("32 wide");
        error.Message.ShouldContain("d_model is 64");
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
