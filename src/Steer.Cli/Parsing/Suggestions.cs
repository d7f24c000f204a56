namespace Steer.Cli.Parsing;

/// <summary>"did you mean 'generate'?" for a misspelled name: the closest known name by edit distance, if close enough.</summary>
internal static class Suggestions
{
    /// <returns>"; did you mean 'X'?" or "" when nothing is close.</returns>
    public static string DidYouMean(string typed, IEnumerable<string> known)
    {
        // A third of the name may be wrong (at least one edit): "genrate" -> "generate", not "summon" -> "score".
        var limit = Math.Max(1, typed.TrimStart('-').Length / 3);
        var best = known.Distinct()
            .Select(name => (name, distance: Distance(typed.ToLowerInvariant(), name.ToLowerInvariant())))
            .Where(c => c.distance <= limit || (typed.TrimStart('-').Length >= 3 && c.name.StartsWith(typed, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(c => c.distance)
            .Select(c => c.name)
            .FirstOrDefault();
        return best is null ? "" : $"; did you mean '{best}'?";
    }

    /// <summary>Levenshtein distance, with a swap of neighbours counted as one edit ("genreate").</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
