// Turns one bench/results/<run> directory into the Markdown tables of docs/benchmarks.md.
// Usage: node bench/report.mjs bench/results/<run>   (prints Markdown)
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const lines = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const machine = JSON.parse(fs.readFileSync(path.join(dir, 'machine.json'), 'utf8'));
const median = (xs) => { if (!xs.length) return undefined; const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–');
const loads = (rs) => rs.map((r) => r.load1_before).join(', ');
const out = [];

out.push(`Run \`${path.basename(dir)}\`: \`${machine.command.trim()}\` — ${machine.nproc} cores (${machine.cpu}), ${fmt(Number(machine.mem_mb))} MB RAM, ${machine.postgres}, .NET SDK ${machine.dotnet}.`);
out.push(`Load average at start: ${machine.load_start.split(' ').slice(0, 3).join(' ')}; at end: ${machine.load_end.split(' ').slice(0, 3).join(' ')}. Medians of ${machine.runs} run(s); each figure's 1-minute load average before it is listed.`);
out.push('');

const ingest = lines('ingest.jsonl');
if (ingest.length) {
  const by = (s) => ingest.filter((r) => r.system === s);
  const peer = by('adnanh-webhook');
  const peerRps = median(peer.map((r) => r.rps));
  const peerP99 = median(peer.map((r) => r.p99_ms));
  // The bare endpoint is a reference (what Kestrel does when it only checks the signature), not a peer.
  const bareRps = median(by('bare-aspnet-hmac').map((r) => r.rps));
  out.push('### Ingest: signed 7 KB push deliveries, wrk 2 threads × 32 connections');
  out.push('');
  out.push('| system | deliveries/s | vs adnanh/webhook | vs bare ASP.NET HMAC | p50 ms | p99 ms | p99 vs peer | non-2xx | RSS idle MB | RSS peak MB | load1 before each run |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const s of ['agentfactory-sqlite', 'agentfactory-postgres', 'agentfactory-postgres-prefilled', 'adnanh-webhook', 'bare-aspnet-hmac']) {
    const rs = by(s);
    if (!rs.length) continue;
    const rps = median(rs.map((r) => r.rps)), p99 = median(rs.map((r) => r.p99_ms));
    const label = s === 'bare-aspnet-hmac' ? 'bare-aspnet-hmac (reference)' : s;
    out.push(`| ${label} | ${fmt(rps)} | ${ratio(rps, peerRps)} | ${ratio(rps, bareRps)} | ${fmt(median(rs.map((r) => r.p50_ms)), 2)} | ${fmt(p99, 2)} | ${ratio(p99, peerP99)} | ${rs.map((r) => r.non2xx + r.errors).join(', ')} | ${fmt(median(rs.map((r) => r.rss_idle_mb)))} | ${fmt(median(rs.map((r) => r.rss_peak_mb)))} | ${loads(rs)} |`);
  }
  const stored = lines('stored.jsonl');
  if (stored.length) out.push('', `Rows in PostgreSQL's webhook_events after each run (every 2xx must be one): ${stored.map((s) => s.stored_events).join(', ')}.`);
  out.push('', 'adnanh/webhook verifies the signature and runs /bin/true per delivery; it stores nothing.');
  if (bareRps) out.push('bare-aspnet-hmac (`bench/peers/bare-hmac`) is a reference, not a peer: a minimal ASP.NET Core endpoint that reads the body, checks X-Hub-Signature-256 and answers 202, with nothing stored: the ceiling of the web stack on this machine.');
  out.push('');
}

const queue = lines('queue.jsonl');
if (queue.length) {
  const sel = (s, m, extra = () => true) => queue.filter((r) => r.system === s && r.mode === m && extra(r));
  const peers = ['graphile', 'pgboss', 'hangfire'];
  const tput = (s, f) => median(sel(s, 'throughput', f).map((r) => r.jobs_per_second));
  const known = (xs) => xs.filter((x) => x !== undefined && !Number.isNaN(x));
  const best = known(peers.map((p) => tput(p))).length ? Math.max(...known(peers.map((p) => tput(p)))) : undefined;
  const lat = (s, k, f) => median(sel(s, 'latency', f).map((r) => r[k]));
  const bestLat = (k) => (known(peers.map((p) => lat(p, k))).length ? Math.min(...known(peers.map((p) => lat(p, k)))) : undefined);
  const bestP50 = bestLat('p50_ms'), bestP99 = bestLat('p99_ms');
  const names = {
    graphile: 'graphile-worker (concurrency 10)',
    pgboss: 'pg-boss (batch 10, 0.5 s poll, burst when batch full)',
    hangfire: 'Hangfire.PostgreSql (10 workers, 100 ms poll)',
  };
  const rows = [
    ['agentfactory-postgres', 'Agent Factory, PostgreSQL, 1 orchestrator (64 slots)', (r) => !r.prefill],
    ['agentfactory-sqlite', 'Agent Factory, SQLite, 1 orchestrator (64 slots)', () => true],
    ['agentfactory-postgres-prefilled', 'Agent Factory, PostgreSQL, 1 M finished jobs in the table', () => true],
    ['agentfactory-postgres-x1', 'Agent Factory, PostgreSQL, 1 orchestrator instance', () => true],
    ['agentfactory-postgres-x2', 'Agent Factory, PostgreSQL, 2 orchestrator instances', () => true],
    ['agentfactory-postgres-x4', 'Agent Factory, PostgreSQL, 4 orchestrator instances', () => true],
    ['graphile', names.graphile, () => true],
    ['pgboss', names.pgboss, () => true],
    ['hangfire', names.hangfire, () => true],
  ];
  out.push('### Queue: no-op jobs, claim → run → complete, and enqueue → agent start when idle');
  out.push('');
  out.push(`| system | jobs/s | vs best peer (${fmt(best)}/s) | enqueue→start p50 ms | p99 ms | p50 vs best peer (${fmt(bestP50, 2)} ms) | p99 vs best peer (${fmt(bestP99, 2)} ms) | load1 before each run |`);
  out.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const [s, label, f] of rows) {
    const t = sel(s, 'throughput', f), l = sel(s, 'latency', f);
    if (!t.length && !l.length) continue;
    const jps = tput(s, f), p50 = lat(s, 'p50_ms', f), p99 = lat(s, 'p99_ms', f);
    out.push(`| ${label} | ${fmt(jps)} | ${ratio(jps, best)} | ${fmt(p50, 2)} | ${fmt(p99, 2)} | ${ratio(p50, bestP50)} | ${ratio(p99, bestP99)} | ${loads([...t, ...l])} |`);
  }
  // Jobs per throughput run, when not all alike (Hangfire's run is bounded in bench/run.sh).
  const counts = [...new Set(queue.filter((r) => r.mode === 'throughput').map((r) => `${r.system} ${fmt(r.jobs)}`))];
  if (new Set(queue.filter((r) => r.mode === 'throughput').map((r) => r.jobs)).size > 1) out.push('', `Jobs per throughput run: ${counts.join('; ')}.`);
  out.push('', 'Best peer: the fastest of graphile-worker, pg-boss and Hangfire.PostgreSql in this run, for each column on its own.');
  out.push('');
}
console.log(out.join('\n'));
