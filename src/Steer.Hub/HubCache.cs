using System.Text.RegularExpressions;

namespace Steer.Hub;

/// <summary>
/// Read-only lookups in the local Hugging Face hub cache, laid out as huggingface_hub writes it:
/// &lt;root&gt;/models--org--name/refs/&lt;revision&gt; holds a commit hash, and
/// &lt;root&gt;/models--org--name/snapshots/&lt;commit&gt;/ holds the files (usually symlinks into blobs/).
/// </summary>
public static partial class HubCache
{
    /// <summary>GPT-2 checkpoints that moved from the root namespace to openai-community on the Hub.</summary>
    private static readonly HashSet<string> OpenAiShortNames =
        new(["gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "distilgpt2"], StringComparer.Ordinal);

    /// <summary>The cache directory, resolved the way huggingface_hub resolves it.</summary>
    public static string Root() =>
        NonEmpty("HF_HUB_CACHE") is { } hubCache ? ExpandHome(hubCache) : Path.Combine(HuggingFaceHome(), "hub");

    /// <summary>$HF_HOME, which holds the hub cache and the login token; huggingface_hub derives its default from XDG_CACHE_HOME when set.</summary>
    internal static string HuggingFaceHome()
    {
        if (NonEmpty("HF_HOME") is { } home) return ExpandHome(home);
        var cache = NonEmpty("XDG_CACHE_HOME") is { } xdg
            ? ExpandHome(xdg)
            : Path.Combine(Home(), ".cache");
        return Path.Combine(cache, "huggingface");
    }

    /// <summary>Maps the legacy GPT-2 short names to "openai-community/&lt;name&gt;"; any other id is returned unchanged.</summary>
    public static string CanonicalId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return OpenAiShortNames.Contains(id) ? "openai-community/" + id : id;
    }

    /// <summary>True for "name" or "org/name" made of the characters the Hub allows.</summary>
    internal static bool IsValidRepoId(string id) => RepoId().IsMatch(id) && !id.Contains("--", StringComparison.Ordinal)
        && !id.Contains("..", StringComparison.Ordinal);

    /// <summary>
    /// The snapshot directory of <paramref name="repoId"/> at <paramref name="revision"/> (a branch or tag
    /// recorded under refs/, or a 40-hex commit), or null when the cache does not hold it.
    /// </summary>
    /// <param name="root">The cache root; <see cref="Root"/> when null.</param>
    public static string? FindSnapshot(string repoId, string revision, string? root = null)
    {
        RequireValidRepoId(repoId);
        RequireValidRevision(revision);

        var repo = Path.Combine(root ?? Root(), RepoFolderName(repoId));
        string commit;
        if (IsCommit(revision))
        {
            commit = revision;
        }
        else
        {
            var refFile = Path.Combine(repo, "refs", revision);
            if (!File.Exists(refFile)) return null;
            commit = File.ReadAllText(refFile).Trim();
            if (!IsCommit(commit))
                throw new SteerException(ErrorKind.InvalidModel, $"The Hugging Face cache file '{refFile}' does not hold a commit hash; the cache is damaged.");
        }

        var snapshot = Path.Combine(repo, "snapshots", commit);
        return Directory.Exists(snapshot) ? snapshot : null;
    }

    /// <summary>The folder huggingface_hub keeps a model in: "models--org--name".</summary>
    internal static string RepoFolderName(string repoId) => "models--" + repoId.Replace("/", "--", StringComparison.Ordinal);

    /// <summary>True for a full 40-hex commit hash, which names one snapshot forever (unlike a branch or tag).</summary>
    internal static bool IsCommit(string revision) => CommitHash().IsMatch(revision);

    internal static void RequireValidRepoId(string repoId)
    {
        if (!IsValidRepoId(repoId))
            throw new SteerException(ErrorKind.InvalidArgument, $"'{repoId}' is not a Hugging Face model id (expected 'name' or 'org/name').");
    }

    /// <summary>Revisions become path components (refs/&lt;revision&gt;), so "..", absolute paths and odd characters are refused.</summary>
    internal static void RequireValidRevision(string revision)
    {
        if (!Revision().IsMatch(revision) || revision.Split('/').Any(part => part is "" or "." or ".."))
            throw new SteerException(ErrorKind.InvalidArgument, $"'{revision}' is not a valid revision (a branch, tag or commit hash).");
    }

    /// <summary>The home directory, even when it does not exist (the verified lookup would return "").</summary>
    private static string Home() =>
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);

    private static string? NonEmpty(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    /// <summary>Expands a leading "~" the way a shell would, for values that reach us quoted.</summary>
    internal static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Home() + path[1..]
            : path;

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?(?:/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?)?$")]
    private static partial Regex RepoId();

    [GeneratedRegex("^[A-Za-z0-9._/-]{1,200}$")]
    private static partial Regex Revision();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();
}
