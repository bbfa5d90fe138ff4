-- wrk script: signed GitHub push deliveries, each with its own X-GitHub-Delivery id and its own body,
-- so every request is a new delivery to store (the same body again is a replay, a dedupe shortcut).
-- Request k of a run sends BENCH_BODY_PREFIX .. ',"bench_id":"<run>-<k>"}' with line k+1 of
-- BENCH_SIGNATURES, both prepared by bench/run.sh (sign_bodies); the threads take alternate k.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY_PREFIX"), "rb"))
  prefix = f:read("*a")
  f:close()
  prefix_run = os.getenv("BENCH_RUN") or "run"
  signatures = {}
  for line in io.lines(os.getenv("BENCH_SIGNATURES")) do signatures[#signatures + 1] = line end
  stride = tonumber(os.getenv("BENCH_THREADS") or "2")
end

function request()
  -- Past the prepared bodies the requests repeat them (duplicates); run.sh prepares more than a run sends.
  local k = (id + stride * counter) % #signatures
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = string.format("%s-%d", prefix_run, k),
    ["X-GitHub-Hook-ID"] = "1",
    ["X-Hub-Signature-256"] = signatures[k + 1],
  }
  return wrk.format("POST", nil, headers, prefix .. string.format(',"bench_id":"%s-%d"}', prefix_run, k))
end

function response(status, headers, body)
  if status >= 300 then
    errors_seen = (errors_seen or 0) + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
