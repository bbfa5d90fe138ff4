using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Coding;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// Issue 13 item 6: the real service, killed with SIGKILL while its coding agent waits on the model after an
/// edit, is restarted; the next attempt resumes from the stored transcript and the pushed branch: the model is
/// sent the earlier turns, the steps before the kill are not repeated, and the run finishes with a pull
/// request whose diff passes the tests.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class CoderKillTests
{
    [Fact]
    public async Task A_coder_killed_mid_loop_resumes_from_its_transcript_and_branch_without_repeating_steps()
    {
        await using var world = await CoderWorld.CreateAsync();
        await using var model = await FakeOpenAiServer.StartAsync();
        var fix = CoderWorld.Fix();
        model.Script.Enqueue(fix[0], fix[1], new ScriptedReply { Hang = true }); // the third call never answers: the kill comes then
        using var dir = new TempDir();
        var env = FaultEnv.For(dir, CoderWorld.Routing());
        env["GITHUB_API_URL"] = world.GitHub.ApiUrl.AbsoluteUri;
        env["GITHUB_TOKEN"] = AgentWorld.Token;
        env["LLM_BASE_URL"] = model.V1.AbsoluteUri;
        env["LLM_MODEL"] = "coder-model";
        env["LLM_API_KEY"] = "sk-test-model-key-0001";

        var first = ServiceProcess.Start(dir.Path, "coder-1", env, "serve");
        ServiceProcess? second = null;
        try
        {
            await first.WaitListeningAsync();
            using var http = new HttpClient { BaseAddress = first.Url };
            var sent = await http.SendAsync(Fixtures.Delivery("issues", "{\"test_delivery\":\"kill-1\"," + world.LabeledPayload().TrimStart()[1..], FaultEnv.Secret));
            Assert.True(sent.IsSuccessStatusCode, await sent.Content.ReadAsStringAsync());
            // Mid-loop: the edit is stored and pushed, and the next model call hangs.
            using var look = new SqliteJobStore(Path.Combine(dir.File("data"), "agentfactory.db"), TimeProvider.System, new AgentFactory.Queue.QueueSignal());
            await FaultScale.Until(async () => (await look.ListJobsAsync(new JobQuery(), CancellationToken.None)) is [var job]
                && (await look.ListStepsAsync(job.Id, 0, 100, CancellationToken.None)).Any(s => s.Name == "str_replace"), "the edit's step to be stored", () => first.Output);
            first.Kill();
            await FaultScale.Until(() => Task.FromResult(model.Completions.Count() == 3), "the hung call to end with the killed process");

            var before = model.Completions.Count();
            model.Script.Enqueue(fix[2], fix[3]);
            second = ServiceProcess.Start(dir.Path, "coder-2", env, "serve");
            var store = look;
            JobRecord? done = null;
            await FaultScale.Until(async () =>
            {
                done = (await store.ListJobsAsync(new JobQuery(JobType: "github_issue"), CancellationToken.None)).SingleOrDefault();
                return done is { Status: JobStatus.Completed or JobStatus.Failed };
            }, "the resumed job to end", () => second.Output);

            Assert.True(done!.Status == JobStatus.Completed, $"{done.Error}\n{second.Output}");
            Assert.Equal(2, done.Attempt);
            var steps = await store.ListStepsAsync(done.Id, 0, 1000, CancellationToken.None);
            Assert.Equal(["view_file", "str_replace", "run_tests", "finish"], steps.Where(s => s.Kind == StepKinds.Tool).Select(s => s.Name));
            Assert.Contains(steps, s => s.Name == "resumed");
            // The resumed attempt's first call carries the earlier turns: the view and the edit, with their results.
            var resumed = JsonNode.Parse(model.Completions.ElementAt(before).Body)!["messages"]!.AsArray();
            Assert.Contains(resumed, m => m!["role"]!.GetValue<string>() == "tool" && m["tool_call_id"]!.GetValue<string>() == "c2");
            Assert.Equal(before + 2, model.Completions.Count());
            Assert.Equal(0, world.TestBranch().ExitCode);
            Assert.False(world.SinglePull()["draft"]!.GetValue<bool>());
        }
        finally
        {
            first.Dispose();
            second?.Dispose();
        }
    }
}
