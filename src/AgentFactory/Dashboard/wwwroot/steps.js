// Agent Factory dashboard: the job detail's Steps section. Reads /api/jobs/{id}/steps?after=K, appends
// only the steps it has not shown yet (by index), and asks again every POLL_MS while the job runs.
// Step text is model and tool output, i.e. untrusted: it goes on the page with textContent only.
'use strict';

window.afSteps = (() => {
  const POLL_MS = 1500;
  const PAGE = 100; // steps per request: a long transcript comes in a few requests, each of bounded size
  const $ = (id) => document.getElementById(id);
  const state = { jobId: null, last: 0, timer: null, busy: false, again: false, running: false };

  const text = (tag, cls, value) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    node.textContent = value === null || value === undefined ? '' : String(value);
    return node;
  };
  const count = (n) => Number(n || 0).toLocaleString('en-US');
  const usd = (v) => (v === null || v === undefined ? '—' : `$${Number(v) !== 0 && Math.abs(v) < 0.01 ? Number(v).toFixed(4) : Number(v).toFixed(2)}`);
  const took = (ms) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
  const excerpt = (s) => (s.length > 140 ? `${s.slice(0, 139)}…` : s).replace(/\s+/g, ' ');

  function renderUsage(u) {
    const parts = u.steps
      ? [`${count(u.steps)} step${u.steps === 1 ? '' : 's'}`, `${count(u.model_turns)} model turn${u.model_turns === 1 ? '' : 's'}`,
        `${count(u.input_tokens)} input tokens`, `${count(u.output_tokens)} output tokens`, usd(u.cost_usd)]
      : ['No steps yet.'];
    $('steps-usage').textContent = parts.join(' · ');
    $('steps-usage').dataset.steps = u.steps;
  }

  function part(label, value, cls) {
    const box = document.createElement('details');
    box.className = `step-part ${cls}`;
    const summary = document.createElement('summary');
    summary.append(text('span', 'step-label', label), text('span', 'step-excerpt', excerpt(value)));
    box.append(summary, text('pre', cls.includes('error') ? 'error-text' : '', value));
    return box;
  }

  function stepItem(s) {
    const li = document.createElement('li');
    li.className = `step kind-${s.kind.replace(/[^a-z]/g, '')}${s.is_error ? ' is-error' : ''}`;
    li.dataset.stepIndex = s.index;
    const head = document.createElement('div');
    head.className = 'step-head';
    head.append(
      text('span', 'step-index', `#${s.index}`),
      text('span', 'badge', s.kind),
      text('span', 'mono step-name', s.name),
      text('span', 'muted', `attempt ${s.attempt} · ${new Date(s.at).toLocaleTimeString()} · ${took(s.duration_ms)}`));
    if (s.input_tokens || s.output_tokens) head.append(text('span', 'step-tokens', `${count(s.input_tokens)} in / ${count(s.output_tokens)} out`));
    if (s.cost_usd !== null && s.cost_usd !== undefined) head.append(text('span', 'step-cost', usd(s.cost_usd)));
    if (s.is_error) head.append(text('span', 'badge failed', 'error'));
    li.append(head);
    if (s.input) li.append(part('in', s.input, 'input'));
    if (s.output) li.append(part('out', s.output, s.is_error ? 'output error' : 'output'));
    return li;
  }

  async function fetchPage(jobId) {
    const res = await fetch(`/api/jobs/${jobId}/steps?after=${state.last}&limit=${PAGE}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (res.status === 401) { location.assign('/dashboard/login'); return null; }
    const body = (res.headers.get('content-type') || '').includes('json') ? await res.json() : null;
    if (!res.ok) throw new Error((body && body.message) || `${res.status} ${res.statusText}`);
    return body;
  }

  // One request at a time; a call made meanwhile runs once more after it, so no step is missed.
  async function load() {
    if (state.busy) { state.again = true; return; }
    state.busy = true;
    try {
      do {
        state.again = false;
        const jobId = state.jobId;
        if (jobId === null) return;
        const page = await fetchPage(jobId);
        if (!page) return;
        if (jobId !== state.jobId) { state.again = true; continue; } // another job was opened meanwhile: load that one
        const list = $('steps-list');
        const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
        const fresh = page.items.filter((s) => s.index > state.last);
        if (fresh.length) {
          list.append(...fresh.map(stepItem));
          state.last = fresh[fresh.length - 1].index;
          if (atBottom) list.scrollTop = list.scrollHeight;
        }
        $('steps-empty').hidden = list.children.length > 0;
        renderUsage(page.usage);
        state.running = page.status === 'running';
        if (page.next_after !== null) state.again = true; // a full page: more are stored
      } while (state.again);
      $('steps-message').textContent = '';
    } catch (e) {
      $('steps-message').textContent = `Steps could not be loaded: ${e.message}`;
    } finally {
      state.busy = false;
      schedule();
    }
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = state.jobId !== null && state.running ? setTimeout(load, POLL_MS) : null;
  }

  // Called with the job detail each time it is loaded (opened, refreshed by the live stream).
  function follow(job) {
    if (job.id !== state.jobId) {
      stop();
      state.jobId = job.id;
      $('steps-list').replaceChildren();
      $('steps-empty').hidden = true;
    }
    state.running = job.status === 'running'; // a pending job starts running with a live-stream refresh, which calls follow again
    renderUsage(job.usage);
    load();
  }

  function stop() {
    clearTimeout(state.timer);
    Object.assign(state, { jobId: null, last: 0, timer: null, running: false });
  }

  return { follow, stop };
})();
