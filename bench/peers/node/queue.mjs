// Queue peers for bench/run.sh, measured like AgentFactory.Bench:
//   throughput: insert N no-op jobs, start the worker, time until all N are completed (claim → run → complete).
//   latency:    idle worker; add one job at a time, time from before the add to the handler's start.
// Usage: node queue.mjs graphile|pgboss throughput|latency DATABASE_URL N
// Prints one JSON object.
import pg from 'pg';

const [peer, mode, url, nArg] = process.argv.slice(2);
const n = Number(nArg);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const pool = new pg.Pool({ connectionString: url, max: 2 });
let started = 0;
let onStart = null;
const deadline = Date.now() + 5 * 60 * 1000;

// Done when every handler has run and no job is left unfinished (both peers may delete finished rows).
async function waitFor(sql, target) {
  while (Date.now() < deadline) {
    if (started < n) { await sleep(5); continue; }
    const { rows } = await pool.query(sql);
    if (Number(rows[0].c) === target) return true;
    await sleep(20);
  }
  return false;
}

async function graphile() {
  const { run, makeWorkerUtils, Logger } = await import('graphile-worker');
  const logger = new Logger(() => () => {}); // its per-job INFO lines would cost more than the jobs
  const utils = await makeWorkerUtils({ connectionString: url, logger });
  await utils.migrate();
  const taskList = { noop: async () => { started++; if (onStart) { const f = onStart; onStart = null; f(now()); } } };
  const opts = { connectionString: url, concurrency: 10, noHandleSignals: true, pollInterval: 2000, taskList, logger };
  if (mode === 'throughput') {
    for (let i = 0; i < n; i += 1000)
      await utils.addJobs(Array.from({ length: Math.min(1000, n - i) }, () => ({ identifier: 'noop', payload: {} })));
    const t0 = now();
    const runner = await run(opts);
    const ok = await waitFor('select count(*) as c from graphile_worker.jobs', 0);
    const seconds = (now() - t0) / 1000;
    await runner.stop();
    await utils.release();
    return { completed: n, seconds, jobs_per_second: n / seconds, timed_out: !ok, concurrency: 10 };
  }
  const runner = await run(opts);
  await sleep(500);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const p = new Promise((r) => { onStart = r; });
    const t0 = now();
    await utils.addJob('noop', {});
    samples.push((await p) - t0);
    await sleep(5);
  }
  await runner.stop();
  await utils.release();
  samples.sort((a, b) => a - b);
  return { p50_ms: pct(samples, 50), p99_ms: pct(samples, 99), max_ms: samples[samples.length - 1], concurrency: 10 };
}

async function pgboss() {
  const { PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false, useListenNotify: true });
  boss.on('error', (e) => console.error(e));
  await boss.start();
  await boss.createQueue('noop', { notify: true });
  // burstWhenBatchFull: without it a worker sleeps the poll interval (0.5 s) after every fetch, full or
  // not, so it completes one batch of 10 per 0.5 s (~20 jobs/s). With it, a fetch that comes back full
  // is followed at once by the next; the first short fetch returns to the 0.5 s poll / NOTIFY wake-up.
  // One worker (localConcurrency 1): at most 10 jobs in flight, like graphile-worker's concurrency 10.
  const workOpts = { batchSize: 10, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5, burstWhenBatchFull: true, localConcurrency: 1 };
  const tag = { batch: 10, poll_s: 0.5, burst_when_batch_full: true, local_concurrency: 1 };
  const handler = async (jobs) => { started += jobs.length; if (onStart) { const f = onStart; onStart = null; f(now()); } };
  if (mode === 'throughput') {
    for (let i = 0; i < n; i += 1000)
      await boss.insert('noop', Array.from({ length: Math.min(1000, n - i) }, () => ({ data: {} })));
    const t0 = now();
    await boss.work('noop', workOpts, handler);
    const ok = await waitFor(`select count(*) as c from pgboss.job where name = 'noop' and state in ('created', 'retry', 'active')`, 0);
    const seconds = (now() - t0) / 1000;
    await boss.stop({ graceful: false, wait: false });
    return { completed: n, seconds, jobs_per_second: n / seconds, timed_out: !ok, ...tag };
  }
  await boss.work('noop', workOpts, handler);
  await sleep(1000);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const p = new Promise((r) => { onStart = r; });
    const t0 = now();
    await boss.send('noop', {});
    samples.push((await p) - t0);
    await sleep(5);
  }
  await boss.stop({ graceful: false, wait: false });
  samples.sort((a, b) => a - b);
  return { p50_ms: pct(samples, 50), p99_ms: pct(samples, 99), max_ms: samples[samples.length - 1], ...tag };
}

const result = peer === 'graphile' ? await graphile() : await pgboss();
await pool.end();
console.log(JSON.stringify({ peer, mode, jobs: n, rss_mb: process.memoryUsage().rss / 1048576, ...result }));
process.exit(0);
