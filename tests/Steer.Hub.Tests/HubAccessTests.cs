using Steer.Hub;

namespace Steer.Tests.Hub;

/// <summary>Tokens, refusals, offline mode and an unreachable Hub.</summary>
public sealed class HubAccessTests : HubTestBase
{
    private const string Gated = "steer-tests/gated";
    private const string Token = "hf_SteerTestSecret123";

    [Fact]
    public void A_gated_model_without_a_token_is_not_found_and_the_message_asks_for_HF_TOKEN()
    {
        // Arrange
        Hub.AddRepo(Gated, HubModels.Single, token: Token);

        // Act
        var error = Fails(ErrorKind.NotFound, () => Download(Gated));

        // Assert
        error.Message.ShouldContain($"Model '{Gated}'");
        error.Message.ShouldContain("HTTP 401");
        error.Message.ShouldContain("HF_TOKEN");
    }

    [Fact]
    public void The_token_is_sent_to_the_endpoint_host_only_never_to_the_storage_host_it_redirects_to()
    {
        // Arrange
        Hub.AddRepo(Gated, HubModels.Single, token: Token);

        // Act
        Download(Gated, options: Options with { Token = Token });

        // Assert
        var requests = Hub.Requests;
        requests.Where(r => r.Host == "hub").ShouldAllBe(r => r.Authorization == "Bearer " + Token);
        requests.Where(r => r.Host == "lfs").ShouldNotBeEmpty();
        requests.Where(r => r.Host == "lfs").ShouldAllBe(r => r.Authorization == null);
    }

    [Fact]
    public void A_refused_token_is_reported_without_ever_showing_the_token()
    {
        // Arrange
        Hub.AddRepo(Gated, HubModels.Single, token: Token);
        const string wrong = "hf_WrongSecret456";

        // Act
        var error = Fails(ErrorKind.NotFound, () => Download(Gated, options: Options with { Token = wrong }));

        // Assert
        error.Message.ShouldContain("refused the token in HF_TOKEN");
        error.ToString().ShouldNotContain(wrong);
        (Options with { Token = wrong }).ToString().ShouldNotContain(wrong);
    }

    [Fact]
    public void An_unknown_repository_is_not_found_naming_it_and_the_endpoint()
    {
        // Act
        var error = Fails(ErrorKind.NotFound, () => Download("steer-tests/missing"));

        // Assert
        error.Message.ShouldBe($"Model 'steer-tests/missing' was not found on {Hub.Endpoint.GetLeftPart(UriPartial.Authority)} (HTTP 404).");
    }

    [Fact]
    public void Credentials_written_into_the_endpoint_url_never_appear_in_messages()
    {
        // Arrange
        var endpoint = new UriBuilder(Hub.Endpoint) { UserName = "someone", Password = "pw-secret" }.Uri;
        var options = Options with { Endpoint = endpoint };

        // Act
        var error = Fails(ErrorKind.NotFound, () => Download("steer-tests/missing", options: options));

        // Assert
        error.Message.ShouldContain(HubHttp.Origin(Hub.Endpoint));
        error.Message.ShouldNotContain("pw-secret");
        options.ToString().ShouldNotContain("pw-secret");
    }

    [Fact]
    public void An_unknown_revision_is_not_found_naming_it()
    {
        // Act
        var error = Fails(ErrorKind.NotFound, () => Download(revision: "no-such-branch"));

        // Assert
        error.Message.ShouldContain($"Revision 'no-such-branch' of model '{RepoId}' was not found");
    }

    [Fact]
    public void Offline_mode_uses_the_cache_without_any_request()
    {
        // Arrange
        var online = Download();
        var before = Hub.Requests.Count;

        // Act
        var offline = Download(options: Options with { Offline = true });

        // Assert
        offline.Directory.ShouldBe(online.Directory);
        offline.Commit.ShouldBe(Commit);
        offline.Files.ShouldBe(HubModels.SingleFetched.Order(StringComparer.Ordinal));
        Hub.Requests.Count.ShouldBe(before);
    }

    [Fact]
    public void Offline_mode_without_a_cached_copy_fails_saying_offline_mode_is_on()
    {
        // Act
        var error = Fails(ErrorKind.NotFound, () => Download(options: Options with { Offline = true }));

        // Assert
        error.Message.ShouldContain("offline mode is on (HF_HUB_OFFLINE=1)");
        error.Message.ShouldContain(Cache.Path);
        Hub.Requests.ShouldBeEmpty();
    }

    [Fact]
    public void A_cached_model_keeps_working_when_the_hub_is_unreachable_with_a_note_saying_so()
    {
        // Arrange
        var online = Download();
        var unreachable = Options with { Endpoint = new Uri(NoInternet.ClosedEndpoint) };

        // Act
        var cached = Download(options: unreachable);

        // Assert
        cached.Directory.ShouldBe(online.Directory);
        Notices.ShouldHaveSingleItem().ShouldContain($"the Hub at {NoInternet.ClosedEndpoint} is unreachable");
    }

    [Fact]
    public void An_unreachable_hub_without_a_cached_copy_is_an_environment_error_naming_the_endpoint()
    {
        // Act
        var error = Fails(ErrorKind.Environment, () => Download(options: Options with { Endpoint = new Uri(NoInternet.ClosedEndpoint) }));

        // Assert
        error.Message.ShouldContain($"Cannot reach the Hugging Face Hub at {NoInternet.ClosedEndpoint}");
        error.Message.ShouldContain($"'{RepoId}'");
        error.Message.ShouldContain("HF_ENDPOINT");
    }
}
