#!/usr/bin/env bash
# A/B of this service between two commits on one machine, interleaved run by run so drift in the
# machine's load hits both alike: queue throughput and enqueue→start latency (SQLite, PostgreSQL)
# and signed-ingest throughput with wrk (SQLite, PostgreSQL). Prints one table of medians.
# Used for refactors that must not change the figures (issue 11).
#
#   bench/ab.sh BASE [HEAD]     e.g. bench/ab.sh f71f4b4            (HEAD defaults to the working tree's HEAD)
#   --runs N (3)  --jobs N (20000)  --duration S (10)
#
# Needs wrk, jq and python3 (apt-get install wrk jq python3) and PostgreSQL's binaries; listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BASE=${1:?usage: bench/ab.sh BASE [HEAD]}; shift
HEAD_REF=HEAD; [[ $# -gt 0 && $1 != --* ]] && { HEAD_REF=$1; shift; }
RUNS=3; JOBS=20000; DURATION=10; LAT_JOBS=500
while [[ $# -gt 0 ]]; do
  case $1 in --runs) RUNS=$2; shift ;; --jobs) JOBS=$2; shift ;; --duration) DURATION=$2; shift ;; *) echo "unknown argument $1" >&2; exit 2 ;; esac
  shift
done
PG_PORT=55434; SVC_PORT=18010; SECRET=bench-secret-0123456789abcdef
WORK=$(mktemp -d /var/tmp/af-ab-XXXXXX)
RES=$WORK/results.jsonl
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { [[ -n ${SVC:-} ]] && kill "$SVC" 2>/dev/null; as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true; for r in base head; do git worktree remove --force "$WORK/$r" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

build() { # build NAME REF
  git worktree add -q --detach "$WORK/$1" "$2"
  (cd "$WORK/$1" && dotnet publish src/AgentFactory -c Release -o "$WORK/bin/$1/svc" --nologo -v q >/dev/null \
    && dotnet publish bench/AgentFactory.Bench -c Release -o "$WORK/bin/$1/bench" --nologo -v q >/dev/null)
  echo "$1 = $(git rev-parse --short "$2")" >&2
}
build base "$BASE"; build head "$HEAD_REF"

mkdir -p "$WORK/pg"; [[ $(id -u) -eq 0 ]] && chown postgres "$WORK" "$WORK/pg"
as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 --locale=C >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -o "-c port=$PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$WORK/pg -c max_connections=300 -c shared_buffers=256MB" start >/dev/null
PSQL() { "$PG_BIN/psql" -X -q -t -A -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres "$@"; }
db() { PSQL -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"; echo "postgres://postgres@127.0.0.1:$PG_PORT/$1"; }

# The same bodies as bench/run.sh: each request its own delivery id and body (bench/ingest.lua).
pad=$(head -c 6600 /dev/zero | tr '\0' 'x')
printf '{"ref":"refs/heads/main","after":"1111111111111111111111111111111111111111","repository":{"full_name":"bench/repo","default_branch":"main"},"head_commit":{"message":"%s"}' "$pad" >"$WORK/body-prefix.json"
export BENCH_BODY_PREFIX=$WORK/body-prefix.json
sign() { # sign RUN COUNT → $WORK/sig-RUN.txt
  python3 - "$BENCH_BODY_PREFIX" "$SECRET" "$1" "$2" >"$WORK/sig-$1.txt" <<'PY'
import hashlib, hmac, sys
prefix, secret, run, count = open(sys.argv[1], 'rb').read(), sys.argv[2].encode(), sys.argv[3], int(sys.argv[4])
base = hmac.new(secret, prefix, hashlib.sha256)
for k in range(count):
    h = base.copy(); h.update(b',"bench_id":"%s-%d"}' % (run.encode(), k)); sys.stdout.write('sha256=' + h.hexdigest() + '\n')
PY
}

queue() { # queue VARIANT STORE MODE JOBS [URL]
  local out; out=$("$WORK/bin/$1/bench/AgentFactory.Bench" --mode "$3" --jobs "$4" ${5:+--database-url "$5"} | tail -1)
  jq -c --arg v "$1" --arg s "$2" --arg m "$3" '{variant:$v, figure:("queue " + $m + " " + $s)} + .' <<<"$out" >>"$RES"
}
ingest() { # ingest VARIANT STORE [URL]
  local data; data=$(mktemp -d "$WORK/svc-XXXXXX")
  env -i PATH="$PATH" HOME="$HOME" AGENTFACTORY_DATA_DIR="$data" GITHUB_WEBHOOK_SECRET="$SECRET" MANUAL_TRIGGER_TOKEN=bench-manual-token-0123456789 \
    ASPNETCORE_URLS="http://127.0.0.1:$SVC_PORT" ${3:+DATABASE_URL="$3"} "$WORK/bin/$1/svc/agentfactory" webhook >"$data.log" 2>&1 &
  SVC=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$SVC_PORT") 2>/dev/null && break; sleep 0.2; done
  local warm="warm$RANDOM" run="ab$RANDOM"
  sign "$warm" 60000; sign "$run" $((DURATION * 15000))
  BENCH_RUN=$warm BENCH_SIGNATURES="$WORK/sig-$warm.txt" wrk -t2 -c32 -d3s -s bench/ingest.lua "http://127.0.0.1:$SVC_PORT/webhook/github" >/dev/null
  local line; line=$(BENCH_RUN=$run BENCH_SIGNATURES="$WORK/sig-$run.txt" wrk -t2 -c32 -d"${DURATION}s" --latency -s bench/ingest.lua "http://127.0.0.1:$SVC_PORT/webhook/github" | grep '^RESULT' | sed 's/RESULT //')
  kill "$SVC"; wait "$SVC" 2>/dev/null || true; SVC=""
  eval "local $line"
  echo "{\"variant\":\"$1\",\"figure\":\"ingest $2\",\"rps\":$rps,\"p99_ms\":$p99_ms}" >>"$RES"
}

for ((r = 1; r <= RUNS; r++)); do
  for v in base head; do
    echo "run $r: $v" >&2
    queue "$v" sqlite throughput "$JOBS"
    queue "$v" postgres throughput "$JOBS" "$(db ab_q)"
    queue "$v" sqlite latency "$LAT_JOBS"
    queue "$v" postgres latency "$LAT_JOBS" "$(db ab_l)"
    ingest "$v" sqlite
    ingest "$v" postgres "$(db ab_i)"
  done
done

echo "| figure | base $(git rev-parse --short "$BASE") | head $(git rev-parse --short "$HEAD_REF") | change |"
echo "|---|---|---|---|"
jq -rs '
  def med: sort | if length == 0 then null else .[(length / 2 | floor)] end;
  def val: if .jobs_per_second then .jobs_per_second elif .p99_ms and (.figure | test("latency")) then .p99_ms elif .rps then .rps else null end;
  group_by(.figure)[] | . as $g
  | ($g | map(select(.variant == "base") | val) | med) as $b
  | ($g | map(select(.variant == "head") | val) | med) as $h
  | "| \($g[0].figure)\(if ($g[0].figure | test("latency")) then " p99 ms" elif ($g[0].figure | test("ingest")) then " deliveries/s" else " jobs/s" end) | \($b) | \($h) | \(if $b and $h and $b != 0 then ((($h - $b) / $b * 100) | floor | tostring) + " %" else "" end) |"
' "$RES"
