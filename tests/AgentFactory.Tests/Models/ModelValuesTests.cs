using AgentFactory.Models;

namespace AgentFactory.Tests.Models;

/// <summary>A model's prices, prompt budget and setting names, and the budget messages users read.</summary>
public sealed class ModelValuesTests
{
    private static ModelSpec Spec(bool fromEnvironment = false, string? keyVariable = "OPENAI_API_KEY", ModelPrices? prices = null, int? maxOutput = 1000) => new()
    {
        Name = "gpt",
        Provider = ModelProvider.OpenAI,
        BaseUrl = new Uri("https://api.example.com/v1"),
        ModelId = "gpt-x",
        ApiKeyVariable = keyVariable,
        FromEnvironment = fromEnvironment,
        Prices = prices,
        MaxOutputTokens = maxOutput,
        MaxInputTokens = 1000,
    };

    [Fact]
    public void Cost_is_tokens_times_the_price_per_million()
    {
        Assert.Equal(2.5m + 20m, new ModelPrices(2.5m, 10m).Cost(1_000_000, 2_000_000));
        Assert.Equal(0.000003m, new ModelPrices(3m, 15m).Cost(1, 0));
        Assert.Equal(0.000015m, Spec(prices: new ModelPrices(3m, 15m)).Cost(0, 1));
        Assert.Null(Spec(prices: null).Cost(1000, 1000));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(8, 2)]
    public void Tokens_are_estimated_at_four_characters_rounded_up(long chars, long tokens) =>
        Assert.Equal(tokens, ModelSpec.EstimateTokens(chars));

    [Fact]
    public void The_prompt_budget_in_characters_is_four_per_token()
    {
        Assert.Equal(4000, Spec().MaxInputChars);
        var defaults = Spec() with { MaxInputTokens = ModelSpec.DefaultMaxInputTokens };
        Assert.Equal(48_000, defaults.MaxInputChars);
    }

    [Theory]
    [InlineData("provider", "LLM_PROVIDER")]
    [InlineData("baseUrl", "LLM_BASE_URL")]
    [InlineData("model", "LLM_MODEL")]
    [InlineData("apiKeyEnv", "LLM_API_KEY")]
    [InlineData("contextWindow", "LLM_CONTEXT_WINDOW")]
    [InlineData("maxOutputTokens", "LLM_MAX_OUTPUT_TOKENS")]
    [InlineData("maxInputTokens", "LLM_MAX_INPUT_TOKENS")]
    [InlineData("inputUsdPerMillion", "LLM_INPUT_USD_PER_MILLION")]
    [InlineData("outputUsdPerMillion", "LLM_OUTPUT_USD_PER_MILLION")]
    [InlineData("timeoutSeconds", "LLM_TIMEOUT_SECONDS")]
    [InlineData("maxRetries", "LLM_MAX_RETRIES")]
    [InlineData("other", "LLM_OTHER")]
    public void A_setting_is_named_as_the_user_wrote_it_a_routing_field_or_an_LLM_variable(string field, string variable)
    {
        Assert.Equal(variable, ModelSpec.SettingName("default", field, fromEnvironment: true));
        Assert.Equal(variable, Spec(fromEnvironment: true).Setting(field));
        Assert.Equal($"models.gpt.{field}", Spec().Setting(field));
    }

    [Fact]
    public void The_key_setting_says_where_the_key_comes_from()
    {
        Assert.Equal("LLM_API_KEY", Spec(fromEnvironment: true).KeySetting);
        Assert.Equal("OPENAI_API_KEY (models.gpt.apiKeyEnv)", Spec().KeySetting);
        Assert.Equal("models.gpt.apiKeyEnv (unset)", Spec(keyVariable: null).KeySetting);
    }

    [Fact]
    public void A_budget_the_model_cannot_enforce_says_what_to_set()
    {
        var priced = new ModelPrices(1m, 2m);
        Assert.Equal("b sets a USD budget, but model 'gpt' has no prices, so its cost is unknown: set models.gpt.inputUsdPerMillion and models.gpt.outputUsdPerMillion, or remove the USD budget.",
            Spec().CannotEnforce(new BudgetLimits { UsdPerJob = 1m }, "b"));
        Assert.NotNull(Spec().CannotEnforce(new BudgetLimits { UsdPerRepositoryPerDay = 1m }, "b"));
        Assert.Equal("b sets a USD or output-token budget, but model 'gpt' has no output limit, so a call's worst case is unknown: set models.gpt.maxOutputTokens.",
            Spec(prices: priced, maxOutput: null).CannotEnforce(new BudgetLimits { UsdPerJob = 1m }, "b"));
        Assert.NotNull(Spec(maxOutput: null).CannotEnforce(new BudgetLimits { OutputTokens = 10 }, "b"));
        Assert.Null(Spec(prices: priced).CannotEnforce(new BudgetLimits { UsdPerJob = 1m, UsdPerRepositoryPerDay = 2m, OutputTokens = 10 }, "b"));
        Assert.Null(Spec(maxOutput: null).CannotEnforce(new BudgetLimits { Turns = 3, InputTokens = 10 }, "b"));
    }

    [Theory]
    [InlineData(BudgetKind.Turns, "turns per job")]
    [InlineData(BudgetKind.InputTokens, "input tokens per job")]
    [InlineData(BudgetKind.OutputTokens, "output tokens per job")]
    [InlineData(BudgetKind.UsdPerJob, "USD per job")]
    [InlineData(BudgetKind.UsdPerRepositoryPerDay, "USD per repository per day")]
    [InlineData(BudgetKind.WallClock, "wall clock per job")]
    [InlineData(BudgetKind.ContextWindow, "context window")]
    public void Each_budget_has_a_name_for_messages(BudgetKind kind, string name) => Assert.Equal(name, BudgetExceededException.NameOf(kind));

    [Fact]
    public void A_refusal_says_the_budget_what_is_spent_and_what_the_call_may_take()
    {
        var usd = new BudgetExceededException(BudgetKind.UsdPerJob, 1.5m, 1.23456m, 0.5m, "job 7");
        Assert.Equal("The USD per job budget would be exceeded: $1.2346 of $1.5 is spent or reserved and this call may take up to $0.5 more (job 7).", usd.Message);
        Assert.Equal((BudgetKind.UsdPerJob, 1.5m, 1.23456m, 0.5m), (usd.Budget, usd.Limit, usd.Used, usd.Request));
        Assert.StartsWith("The USD per repository per day budget would be exceeded: $2 of", new BudgetExceededException(BudgetKind.UsdPerRepositoryPerDay, 3m, 2m, 1m, "r").Message, StringComparison.Ordinal);
        Assert.Equal("The input tokens per job budget would be exceeded: 900 of 1000 is spent or reserved and this call may take up to 200 more (job 7).",
            new BudgetExceededException(BudgetKind.InputTokens, 1000, 900, 200, "job 7").Message);
        Assert.Equal("The call would not fit the model's context window of 8192 tokens: the prompt is about 9000 tokens.",
            new BudgetExceededException(BudgetKind.ContextWindow, 8192, 0, 9000, "the prompt is about 9000 tokens").Message);
    }

    [Fact]
    public void A_call_may_take_a_budget_exactly_to_its_ceiling_and_the_first_ceiling_passed_is_named()
    {
        var day = new DateOnly(2026, 11, 25);
        var limits = new BudgetLimits { Turns = 3, InputTokens = 100, OutputTokens = 50, UsdPerJob = 1m, UsdPerRepositoryPerDay = 2m };
        var scope = new BudgetScope(7, "Acme/API", limits);
        var spent = new BudgetSpend(2, 60, 30, 0.5m);
        BudgetRules.Check(scope, new BudgetCharge(40, 20, 0.5m), spent, new BudgetSpend(0, 0, 0, 1.5m), day);

        BudgetKind Refused(BudgetCharge c, BudgetSpend job, BudgetSpend repo) =>
            Assert.Throws<BudgetExceededException>(() => BudgetRules.Check(scope, c, job, repo, day)).Budget;
        Assert.Equal(BudgetKind.Turns, Refused(new BudgetCharge(999, 999, 9m), spent with { Turns = 3 }, BudgetSpend.Zero));
        Assert.Equal(BudgetKind.InputTokens, Refused(new BudgetCharge(41, 999, 9m), spent, BudgetSpend.Zero));
        Assert.Equal(BudgetKind.OutputTokens, Refused(new BudgetCharge(40, 21, 9m), spent, BudgetSpend.Zero));
        Assert.Equal(BudgetKind.UsdPerJob, Refused(new BudgetCharge(40, 20, 0.51m), spent, BudgetSpend.Zero));
        Assert.Equal(BudgetKind.UsdPerRepositoryPerDay, Refused(new BudgetCharge(40, 20, 0.5m), spent, new BudgetSpend(0, 0, 0, 1.51m)));
        var perDay = Assert.Throws<BudgetExceededException>(() => BudgetRules.Check(scope, new BudgetCharge(0, 0, 0.6m), BudgetSpend.Zero, new BudgetSpend(0, 0, 0, 1.5m), day));
        Assert.Contains("(Acme/API on 2026-11-25 UTC)", perDay.Message, StringComparison.Ordinal);
        var turns = Assert.Throws<BudgetExceededException>(() => BudgetRules.Check(scope, new BudgetCharge(0, 0, 0m), spent with { Turns = 3 }, BudgetSpend.Zero, day));
        Assert.Equal((3m, 3m, 1m), (turns.Limit, turns.Used, turns.Request));
        Assert.Contains("(job 7)", turns.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_call_of_unknown_cost_counts_as_free_and_no_ceiling_means_no_check()
    {
        var scope = new BudgetScope(7, "acme/api", new BudgetLimits { UsdPerJob = 1m });
        BudgetRules.Check(scope, new BudgetCharge(0, 0, null), new BudgetSpend(0, 0, 0, 1m), BudgetSpend.Zero, default);
        BudgetRules.Check(new BudgetScope(7, "acme/api", BudgetLimits.None), new BudgetCharge(long.MaxValue / 2, long.MaxValue / 2, 1e9m), new BudgetSpend(1000, 1, 1, 1m), new BudgetSpend(0, 0, 0, 1e9m), default);
        Assert.Equal("acme/api", BudgetRules.RepositoryKey("Acme/API"));
        Assert.Equal(TimeSpan.FromHours(2), BudgetRules.ReservationLifetime);
    }
}
