using Microsoft.Playwright;

namespace Steer.Server.Tests.Infrastructure;

/// <summary>
/// Debian's chromium package driven by Playwright through its executable path (no browser is downloaded), headless,
/// with a fresh profile per test that is deleted on dispose.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly DirectoryInfo _profile;

    private Browser(IPlaywright playwright, IBrowserContext context, DirectoryInfo profile, IPage page)
    {
        _playwright = playwright;
        _context = context;
        _profile = profile;
        Page = page;
    }

    public IPage Page { get; }

    /// <summary>Every URL the page requested.</summary>
    public List<string> Requested { get; } = [];

    public static async Task<Browser> LaunchAsync()
    {
        File.Exists(Chromium).ShouldBeTrue($"the browser test needs Debian's chromium at {Chromium}: apt-get install -y chromium (.ci/run does this)");
        var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("steer-chromium-profile-");
        // A persistent context is how Playwright takes a user data directory of our choosing: a fresh one per run.
        var context = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ChromiumArgs,
        });
        var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
        var browser = new Browser(playwright, context, profile, page);
        page.Request += (_, request) => browser.Requested.Add(request.Url);
        return browser;
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        _playwright.Dispose();
        _profile.Delete(recursive: true);
    }
}
