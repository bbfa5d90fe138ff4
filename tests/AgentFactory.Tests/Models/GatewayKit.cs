using System.Net.Sockets;
using AgentFactory.Models;
using AgentFactory.Models.Gateway;
using AgentFactory.Tests.Sandbox;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Models;

/// <summary>
/// A model gateway over two models served by the fakes: "claude" (Anthropic's Messages API) and "gpt"
/// (OpenAI's), each with a real key the fakes expect to see and the sandbox must never hold.
/// </summary>
public sealed class GatewayKit : IAsyncDisposable
{
    public const string AnthropicKey = "sk-ant-real-key-3f9a1c";
    public const string OpenAiKey = "sk-openai-real-key-8d2e7b";

    private GatewayKit(FakeAnthropicServer anthropic, FakeOpenAiServer openAi)
    {
        (Anthropic, OpenAi) = (anthropic, openAi);
        var models = new Dictionary<string, ModelEntry>
        {
            ["claude"] = new() { Provider = "anthropic", BaseUrl = anthropic.BaseUrl.AbsoluteUri, Model = "claude-sonnet-4-5", ApiKeyEnv = "ANTHROPIC_KEY", MaxOutputTokens = 4096, InputUsdPerMillion = 3, OutputUsdPerMillion = 15 },
            ["gpt"] = new() { Provider = "openai", BaseUrl = openAi.V1.AbsoluteUri, Model = "gpt-5-codex", ApiKeyEnv = "OPENAI_KEY", MaxOutputTokens = 4096 },
        };
        var keys = new Dictionary<string, string> { ["ANTHROPIC_KEY"] = AnthropicKey, ["OPENAI_KEY"] = OpenAiKey };
        Catalog = ModelCatalog.Build(models, new LlmSettings(), keys.GetValueOrDefault);
        Gateway = new ModelGateway(Catalog, Time, Log);
    }

    public FakeAnthropicServer Anthropic { get; }
    public FakeOpenAiServer OpenAi { get; }
    public ModelCatalog Catalog { get; }
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);
    public ListLogger<ModelGateway> Log { get; } = new();
    public ModelGateway Gateway { get; }

    public static async Task<GatewayKit> StartAsync() => new(await FakeAnthropicServer.StartAsync(), await FakeOpenAiServer.StartAsync());

    public Task<GatewayGrant> GrantAsync(string model, long jobId = 7) => Gateway.GrantAsync(jobId, model, Time.GetUtcNow().AddMinutes(30), CancellationToken.None);

    /// <summary>Every header value and body the fakes received, to look for what must never reach a model.</summary>
    public IEnumerable<string> EverythingTheModelsSaw =>
        Anthropic.Requests.Concat(OpenAi.Requests).SelectMany(r => r.Headers.Values.Append(r.Body).Append(r.Path + r.Query));

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Anthropic.DisposeAsync();
        await OpenAi.DisposeAsync();
    }

    /// <summary>An HttpClient whose every connection goes to a Unix socket (the gateway's, or a job's egress socket), addressed as the sandbox does.</summary>
    public static HttpClient UnixClient(string socketPath) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    })
    { BaseAddress = new Uri($"http://{ModelGateway.Host}") };
}
