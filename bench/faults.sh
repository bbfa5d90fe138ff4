#!/usr/bin/env bash
# Fault tests, full size (issue 6): the xunit scenarios in tests/AgentFactory.Tests/Faults run with
# AF_FAULTS_FULL=1 (20,000 deliveries per SIGKILL, 10,000 jobs, a 10 s PostgreSQL outage, 10,000
# hostile requests and 200 slowloris connections). Their figures replace the block between the
# fault-figures markers in docs/reliability.md, with the date, the machine and the load.
# `dotnet test` runs the same scenarios at CI size.
#   bench/faults.sh            run, print, and update docs/reliability.md
#   bench/faults.sh --no-docs  run and print only
set -euo pipefail
cd "$(dirname "$0")/.."
update_docs=1
[ "${1:-}" = "--no-docs" ] && update_docs=0

report=$(mktemp /tmp/af-faults-report.XXXXXX)
log=$(mktemp /tmp/af-faults-log.XXXXXX)
trap 'rm -f "$report" "$log"' EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%s)
dotnet build tests/AgentFactory.Tests -v q -nologo >/dev/null
set +e
AF_FAULTS_FULL=1 AF_FAULTS_REPORT="$report" dotnet test tests/AgentFactory.Tests --no-build \
  --filter "FullyQualifiedName~AgentFactory.Tests.Faults." --logger "console;verbosity=normal" >"$log" 2>&1
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
block=$(cat <<MD
Last full run: $(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/faults.sh\`, ${minutes} min, exit code ${status}.
Machine: ${machine}; ${pg:-no PostgreSQL}; .NET $(dotnet --version). Load average (1/5/15 min) ${load_before} before, ${load_after} after; the service, the database and the load generator share the machine.

| test | result |
|---|---|
$(sed -E 's/^(Passed|Failed|Skipped) ([^ ]+) \[(.*)\]$/| \2 | \1 in \3 |/' <<<"$results")

$(sort -V "$report" | sed -E "s/^/- /")
MD
)

if [ "$update_docs" = 1 ]; then
  BLOCK="$block" python3 - docs/reliability.md <<'PY'
import os, re, sys
path = sys.argv[1]
text = open(path).read()
start, end = "<!-- fault-figures:start -->", "<!-- fault-figures:end -->"
if start not in text:
    sys.exit(f"{path} has no {start} marker")
text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda m: f"{start}\n{os.environ['BLOCK']}\n{end}", text, flags=re.S)
open(path, "w").write(text)
PY
  echo "Updated docs/reliability.md"
fi
exit "$status"
