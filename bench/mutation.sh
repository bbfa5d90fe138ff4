#!/usr/bin/env bash
# Mutation testing (Stryker.NET, pinned in dotnet-tools.json) of AgentFactory.Core and the ingest path
# (src/AgentFactory/Ingest). Not part of CI or `dotnet test`: a full run takes a long time on a small
# machine. It writes the reports under bench/results/mutation/ and prints the score of every file.
#
#   bench/mutation.sh                          both groups, every file
#   bench/mutation.sh core                     AgentFactory.Core only
#   bench/mutation.sh ingest                   src/AgentFactory/Ingest but its two endpoint files, with its unit tests
#   bench/mutation.sh endpoints                Ingest/WebhookEndpoints.cs and Ingest/ManualTrigger.cs, with the ingest tests
#                                              that run the service in process (they need it: these files are its HTTP handlers)
#   bench/mutation.sh core Queue/QueueSignal.cs Jobs/JobStatus.cs
#                                              only these files of the group (paths inside the project)
#   MUTATION_CONCURRENCY=N                     test processes at once (1: the machine is shared)
#
# Each group runs only the fast tests that exercise its code (no PostgreSQL, no browser, no sandbox, no
# coding CLI), and Stryker's per-test coverage runs only the tests that reach a mutant. The score of a
# file is (killed + timeout) / (killed + timeout + survived + no coverage); mutants that do not compile
# and mutants disabled in the code with a "// Stryker disable" comment (each with its reason) do not count.
# docs/mutation-testing.md has the latest scores and the mutants left alive on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/results/mutation
CONCURRENCY=${MUTATION_CONCURRENCY:-1}

# The unit tests of Core: pure code, no database (the stores' contract suites run elsewhere and would
# multiply the time of every mutant in Jobs/ and Queue/ for no extra kill that a unit test here lacks).
CORE_TESTS="FullyQualifiedName~AgentFactory.Tests.Routing|FullyQualifiedName~AgentFactory.Tests.Queue.QueueSignalTests|FullyQualifiedName~AgentFactory.Tests.Jobs"
CORE_TESTS+="|FullyQualifiedName~AgentFactory.Tests.Models|FullyQualifiedName~AgentFactory.Tests.Trust.TriggerPolicy|FullyQualifiedName~AgentFactory.Tests.Core"
CORE_TESTS+="|FullyQualifiedName~AgentFactory.Tests.Orchestration.OutcomePolicy|FullyQualifiedName~AgentFactory.Tests.Ingest.WebhookSignature"
CORE_TESTS+="|FullyQualifiedName~AgentFactory.Tests.Hosting.SettingsTests"
# The ingest path's unit tests: no server (a DefaultHttpContext at most).
INGEST_TESTS="FullyQualifiedName~AgentFactory.Tests.Ingest.GitHubDeliveryTests|FullyQualifiedName~AgentFactory.Tests.Ingest.FailedRequestLimiterTests"
INGEST_TESTS+="|FullyQualifiedName~AgentFactory.Tests.Ingest.BodyBudgetRulesTests|FullyQualifiedName~AgentFactory.Tests.Ingest.DeliveryBatcherTests"
INGEST_TESTS+="|FullyQualifiedName~AgentFactory.Tests.Ingest.RequestBodyTests|FullyQualifiedName~AgentFactory.Tests.Ingest.HealthEndpointTests|FullyQualifiedName~AgentFactory.Tests.Ingest.ProblemsTests"
# The endpoints' tests: the real service in process on loopback HTTP with SQLite; the PostgreSQL one is left out.
ENDPOINT_TESTS="FullyQualifiedName~AgentFactory.Tests.Ingest&FullyQualifiedName!~On_postgresql"

GROUPS_TO_RUN=()
FILES=()
for arg in "$@"; do
  case $arg in
    core|ingest|endpoints) GROUPS_TO_RUN+=("$arg") ;;
    *.cs) FILES+=("$arg") ;;
    *) echo "unknown argument: $arg (expected core, ingest, endpoints or a .cs path inside the group's project)" >&2; exit 2 ;;
  esac
done
[[ ${#GROUPS_TO_RUN[@]} -eq 0 ]] && GROUPS_TO_RUN=(core ingest endpoints)
if [[ ${#FILES[@]} -gt 0 && ${#GROUPS_TO_RUN[@]} -ne 1 ]]; then
  echo "name one group (core, ingest or endpoints) with the files to mutate" >&2; exit 2
fi

dotnet tool restore >/dev/null

run_group() {
  local group=$1 project filter
  local mutate=()
  case $group in
    core) project=AgentFactory.Core.csproj; filter=$CORE_TESTS; mutate=(--mutate "**/*.cs") ;;
    ingest) project=AgentFactory.csproj; filter=$INGEST_TESTS
      mutate=(--mutate "**/Ingest/*.cs" --mutate "!**/Ingest/WebhookEndpoints.cs" --mutate "!**/Ingest/ManualTrigger.cs") ;;
    endpoints) project=AgentFactory.csproj; filter=$ENDPOINT_TESTS; mutate=(--mutate "**/Ingest/WebhookEndpoints.cs" --mutate "**/Ingest/ManualTrigger.cs") ;;
  esac
  if [[ ${#FILES[@]} -gt 0 ]]; then
    mutate=()
    for f in "${FILES[@]}"; do
      [[ $group != core && $f != Ingest/* ]] && f=Ingest/$f
      mutate+=(--mutate "**/$f")
    done
  fi
  local dir=$OUT/$group
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "== $group: dotnet stryker --project $project ${mutate[*]} --concurrency $CONCURRENCY" >&2
  (cd "$ROOT/tests/AgentFactory.Tests" && dotnet stryker --project "$project" "${mutate[@]}" \
    --concurrency "$CONCURRENCY" --test-case-filter "$filter" \
    --reporter ClearText --reporter Json --reporter Html --reporter Dots \
    --output "$dir" --skip-version-check) | tee "$dir/stryker.log" >&2
  scores "$dir/reports/mutation-report.json" | tee "$dir/scores.md"
}

# One Markdown row per file that has mutants: file, killed, survived, no coverage, timeout, score.
scores() {
  jq -r --arg root "$ROOT/" '
    def n(s): [.mutants[] | select(.status == s)] | length;
    "| File | Killed | Timeout | Survived | No coverage | Score |", "|---|---:|---:|---:|---:|---:|",
    (.files | to_entries | sort_by(.key)[] | .value as $f | ($f | n("Killed")) as $k | ($f | n("Timeout")) as $t
      | ($f | n("Survived")) as $s | ($f | n("NoCoverage")) as $c | select($k + $t + $s + $c > 0)
      | "| \(.key | ltrimstr($root)) | \($k) | \($t) | \($s) | \($c) | \(((($k + $t) * 1000 / ($k + $t + $s + $c)) | floor) / 10) % |")
  ' "$1"
}

for g in "${GROUPS_TO_RUN[@]}"; do run_group "$g"; done
