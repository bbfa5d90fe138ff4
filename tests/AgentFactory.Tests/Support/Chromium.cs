using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace AgentFactory.Tests.Support;

/// <summary>
/// Headless Chromium from Debian's chromium and chromium-driver packages, driven by Selenium with both
/// paths given explicitly so Selenium Manager never tries to download a browser or driver.
/// </summary>
public sealed class Chromium : IDisposable
{
    public const string Browser = "/usr/bin/chromium";
    public const string Driver = "/usr/bin/chromedriver";

    public static bool Installed => File.Exists(Browser) && File.Exists(Driver);

    private readonly TempDir _profile = new();

    public ChromeDriver Web { get; }

    public Chromium()
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = Browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--window-size=1440,1900", $"--user-data-dir={_profile.Path}");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        Web = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value (elements may be replaced while the page updates).</summary>
    public T Until<T>(Func<IWebDriver, T?> probe, string what, TimeSpan? within = null) where T : class
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                if (probe(Web) is { } value) return value;
            }
            catch (Exception e) when (e is NoSuchElementException or StaleElementReferenceException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}. Page:\n{Web.FindElement(By.TagName("body")).Text}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Clicks the element, finding it again if the page replaced it in between.</summary>
    public void Click(string css) => Until(d => { d.FindElement(By.CssSelector(css)).Click(); return ""; }, $"a clickable {css}");

    /// <summary>Saves what the browser shows to a temporary PNG (for a person to look at; never committed) and returns its path.</summary>
    public string Screenshot(string name)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"agentfactory-{name}-{Guid.NewGuid():N}.png");
        Web.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public string? Text(string css) => Web.FindElements(By.CssSelector(css)).FirstOrDefault()?.Text;

    public void Dispose()
    {
        Web.Quit();
        Web.Dispose();
        _profile.Dispose();
    }
}

/// <summary>A browser test: skipped with a reason when Chromium is missing, except in CI (CI=true), where that is a failure.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!Chromium.Installed && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = $"Chromium is not installed ({Chromium.Browser}, {Chromium.Driver}): apt-get install -y chromium chromium-driver";
    }
}
