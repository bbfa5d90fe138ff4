#!/usr/bin/env bash
# Fault tests, full size (issue 6): the xunit scenarios in tests/AgentFactory.Tests/Faults run with
# AF_FAULTS_FULL=1 (20,000 deliveries per SIGKILL, 10,000 jobs, a 10 s PostgreSQL outage, 10,000
# hostile requests and 200 slowloris connections, and the one-hour soak on each store). Their
# figures replace the blocks between the fault-figures and soak-figures markers in
# docs/reliability.md, with the date, the machine and the load.
# `dotnet test` runs the same scenarios at CI size (the soak: 75 s per store).
#   bench/faults.sh              run everything, print, and update docs/reliability.md
#   bench/faults.sh --soak-only  run only the soak (scenario 6) and update only its block
#   bench/faults.sh --no-soak    run scenarios 1-5 only and update only their block
#   bench/faults.sh --no-docs    run and print only (combines with the two above)
# AF_SOAK_MINUTES=10 bench/faults.sh --soak-only   a soak of 10 minutes per store instead of 60
set -euo pipefail
cd "$(dirname "$0")/.."
update_docs=1
scope=all
for arg in "$@"; do
  case "$arg" in
    --no-docs) update_docs=0 ;;
    --soak-only) scope=soak ;;
    --no-soak) scope=faults ;;
    *) echo "unknown option '$arg': use --soak-only, --no-soak and/or --no-docs" >&2; exit 2 ;;
  esac
done
case "$scope" in
  all) filter="FullyQualifiedName~AgentFactory.Tests.Faults." ;;
  soak) filter="FullyQualifiedName~AgentFactory.Tests.Faults.SoakTests" ;;
  faults) filter="FullyQualifiedName~AgentFactory.Tests.Faults.&FullyQualifiedName!~AgentFactory.Tests.Faults.SoakTests" ;;
esac

report=$(mktemp /tmp/af-faults-report.XXXXXX)
log=$(mktemp /tmp/af-faults-log.XXXXXX)
trap 'rm -f "$report" "$log"' EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%s)
dotnet build tests/AgentFactory.Tests -v q -nologo >/dev/null
set +e
AF_FAULTS_FULL=1 AF_FAULTS_REPORT="$report" dotnet test tests/AgentFactory.Tests --no-build \
  --filter "$filter" --logger "console;verbosity=normal" >"$log" 2>&1
status=$?
set -e
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
minutes=$(( ( $(date -u +%s) - started + 59 ) / 60 ))

results=$(grep -E '^\s+(Passed|Failed|Skipped) AgentFactory\.Tests\.Faults\.' "$log" | sed -E 's/^\s+//; s/AgentFactory\.Tests\.Faults\.//' || true)
echo "$results"
grep -E 'Error Message|Assert' -A3 "$log" | head -40 || true
cat "$report"

machine="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/Mem:/{print $2}') GB RAM, $(uname -sr)"
pg=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 | sed -E 's#.*/([0-9]+)/bin#PostgreSQL \1#' || true)
command="bench/faults.sh${*:+ $*}"
[ -n "${AF_SOAK_MINUTES:-}" ] && command="AF_SOAK_MINUTES=${AF_SOAK_MINUTES} ${command}"

# block TITLE RESULTS FIGURES: the markdown that goes between one pair of markers.
block() {
  cat <<MD
$1: $(date -u '+%Y-%m-%d %H:%M UTC'), \`${command}\`, ${minutes} min, exit code ${status}.
Machine: ${machine}; ${pg:-no PostgreSQL}; .NET $(dotnet --version). Load average (1/5/15 min) ${load_before} before, ${load_after} after; the service, the database and the load generator share the machine.

| test | result |
|---|---|
$(sed -E 's/^(Passed|Failed|Skipped) ([^ ]+) \[(.*)\]$/| \2 | \1 in \3 |/' <<<"$2")

$(sed -E "s/^/- /" <<<"$3")
MD
}

# replace MARKER BLOCK: puts BLOCK between <!-- MARKER:start --> and <!-- MARKER:end --> in docs/reliability.md.
replace() {
  MARKER="$1" BLOCK="$2" python3 - docs/reliability.md <<'PY'
import os, re, sys
path = sys.argv[1]
text = open(path).read()
start, end = f"<!-- {os.environ['MARKER']}:start -->", f"<!-- {os.environ['MARKER']}:end -->"
if start not in text:
    sys.exit(f"{path} has no {start} marker")
text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda m: f"{start}\n{os.environ['BLOCK']}\n{end}", text, flags=re.S)
open(path, "w").write(text)
PY
}

if [ "$update_docs" = 1 ]; then
  if [ "$scope" != soak ]; then
    replace fault-figures "$(block 'Last full run' "$(grep -v 'SoakTests\.' <<<"$results" || true)" "$(grep -v '^6\. soak' "$report" | sort -V || true)")"
  fi
  if [ "$scope" != faults ]; then
    replace soak-figures "$(block 'Last soak run' "$(grep 'SoakTests\.' <<<"$results" || true)" "$(grep '^6\. soak' "$report" | sort -V || true)")"
  fi
  echo "Updated docs/reliability.md"
fi
exit "$status"
