// Agent Factory dashboard: plain DOM, no framework. Data comes from /api/*; live updates from the
// /api/stream Server-Sent Events, which push fresh stats whenever the queue changes. Everything the
// server returns is put on the page with textContent, never as HTML.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'];
  const PAGE = 50;
  const state = { csrf: null, window: 'last_hour', stats: null, selected: null, jobsShown: PAGE, eventsShown: 25, refresh: null, stream: null, jobsSeq: 0, eventsSeq: 0 };

  // ---- helpers ----
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('data-')) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  const svg = (tag, attrs) => {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  };
  const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
  const fmtClock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const fmtSeconds = (s) => (s === null || s === undefined ? '—' : s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${Math.round(s / 60)} min`);
  const badge = (status) => el('span', { class: `badge ${status}` }, status);

  async function api(path, method) {
    const options = { method: method || 'GET', credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (method && method !== 'GET') options.headers['X-CSRF-Token'] = state.csrf || '';
    const res = await fetch(path, options);
    if (res.status === 401) {
      location.assign('/dashboard/login');
      throw new Error('Your session has ended; log in again.');
    }
    const body = (res.headers.get('content-type') || '').includes('json') ? await res.json() : null;
    if (!res.ok) throw new Error((body && body.message) || `${res.status} ${res.statusText}`);
    return body;
  }

  // ---- stats ----
  function renderStats(stats) {
    state.stats = stats;
    for (const s of STATUSES) $(`count-${s}`).textContent = stats.by_status[s] ?? 0;
    $('updated').textContent = `updated ${new Date(stats.generated_at).toLocaleTimeString()}`;

    const typeSelect = $('filter-type');
    const chosen = typeSelect.value;
    typeSelect.replaceChildren(el('option', { value: '' }, 'any type'),
      ...stats.by_type.map((t) => el('option', { value: t.job_type, selected: t.job_type === chosen }, t.job_type)));

    $('types-body').replaceChildren(...(stats.by_type.length
      ? stats.by_type.map((t) => el('tr', {}, el('td', {}, t.job_type), ...STATUSES.map((s) => el('td', { class: t.by_status[s] ? `num ${s}` : 'num zero' }, t.by_status[s]))))
      : [el('tr', {}, el('td', { colSpan: 6, class: 'muted' }, 'No jobs yet.'))]));

    // The server lists live orchestrators only (heartbeat younger than liveness_seconds).
    $('heartbeats-body').replaceChildren(...(stats.heartbeats.length
      ? stats.heartbeats.map((h) => el('tr', {},
        el('td', { class: 'mono' }, h.instance),
        el('td', {}, `${fmtSeconds(h.age_seconds)} ago`),
        el('td', { class: 'num' }, h.details && h.details.running !== undefined ? `${h.details.running}/${h.details.max_concurrent_jobs}` : '—'),
        el('td', {}, (h.details && h.details.git_sync) || '—')))
      : [el('tr', {}, el('td', { colSpan: 4, class: 'muted' }, 'No orchestrator is running.'))]));
    const pending = stats.by_status.pending || 0;
    const banner = $('no-orchestrator');
    banner.hidden = !(pending > 0 && stats.heartbeats.length === 0);
    banner.textContent = banner.hidden ? '' : `${pending} job${pending === 1 ? ' is' : 's are'} waiting and no orchestrator is running `
      + `(none has sent a heartbeat in the last ${fmtSeconds(stats.liveness_seconds)}). Start \`agentfactory serve\` or \`agentfactory orchestrator\`, or check its log.`;
    renderChart();
  }

  function renderChart() {
    const series = state.stats && state.stats[state.window];
    const chart = $('chart');
    if (!series) return;
    const rate = series.failure_rate === null ? 'no finished jobs' : `${(series.failure_rate * 100).toFixed(1)}% failed`;
    $('throughput-summary').textContent = `${series.completed} completed · ${series.failed} failed · ${rate}`;
    const W = 600, H = 140, top = 12, left = 34;
    const n = series.buckets.length;
    const max = Math.max(1, ...series.buckets.map((b) => b.completed + b.failed));
    const slot = (W - left) / n, bar = Math.max(2, slot * 0.7);
    const y = (v) => top + (H - top) * (1 - v / max);
    const nodes = [
      svg('line', { x1: left, y1: H, x2: W, y2: H, class: 'axis' }),
      svg('line', { x1: left, y1: top, x2: W, y2: top, class: 'grid' }),
    ];
    const maxLabel = svg('text', { x: left - 6, y: top + 4, 'text-anchor': 'end', class: 'tick' });
    maxLabel.textContent = String(max);
    const zero = svg('text', { x: left - 6, y: H + 4, 'text-anchor': 'end', class: 'tick' });
    zero.textContent = '0';
    nodes.push(maxLabel, zero);
    series.buckets.forEach((b, i) => {
      const x = left + i * slot + (slot - bar) / 2;
      const g = svg('g', { 'data-start': b.start });
      const title = svg('title', {});
      title.textContent = `${fmtClock(b.start)}: ${b.completed} completed, ${b.failed} failed`;
      g.append(title);
      if (b.completed) g.append(svg('rect', { x, y: y(b.completed), width: bar, height: H - y(b.completed), class: 'ok' }));
      if (b.failed) g.append(svg('rect', { x, y: y(b.completed + b.failed), width: bar, height: y(b.completed) - y(b.completed + b.failed), class: 'bad' }));
      if (!b.completed && !b.failed) g.append(svg('rect', { x, y: H - 1, width: bar, height: 1, class: 'empty' }));
      nodes.push(g);
      if (i % Math.ceil(n / 6) === 0 || i === n - 1) {
        const label = svg('text', { x: x + bar / 2, y: H + 18, 'text-anchor': 'middle', class: 'tick' });
        label.textContent = i === n - 1 ? 'now' : fmtClock(b.start);
        nodes.push(label);
      }
    });
    chart.replaceChildren(...nodes);
  }

  // ---- jobs ----
  function jobQuery(extra) {
    const q = new URLSearchParams();
    if ($('filter-status').value) q.set('status', $('filter-status').value);
    if ($('filter-type').value) q.set('job_type', $('filter-type').value);
    if ($('filter-search').value.trim()) q.set('search', $('filter-search').value.trim());
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return q;
  }

  function jobRow(j) {
    return el('tr', { 'data-job-id': j.id, class: state.selected === j.id ? 'selected' : '', tabIndex: 0 },
      el('td', { class: 'num' }, j.id),
      el('td', { class: 'mono' }, j.job_type),
      el('td', { class: 'status' }, badge(j.status)),
      el('td', { class: 'num' }, `${j.attempt}/${j.max_attempts}`),
      el('td', {}, fmtTime(j.created_at)),
      el('td', { class: 'error-cell' }, j.error || ''));
  }

  async function loadJobs(append) {
    const body = $('jobs-body');
    const rows = body.querySelectorAll('tr[data-job-id]');
    const extra = append && rows.length ? { before_id: rows[rows.length - 1].dataset.jobId, limit: PAGE } : { limit: Math.min(200, state.jobsShown) };
    const seq = ++state.jobsSeq;
    const page = await api(`/api/jobs?${jobQuery(extra)}`);
    if (seq !== state.jobsSeq) return; // a newer load (filter change, live refresh) answers instead
    const fresh = page.items.map(jobRow);
    if (append) body.append(...fresh); else body.replaceChildren(...fresh);
    state.jobsShown = Math.max(PAGE, body.children.length);
    $('jobs-more').hidden = page.next_before_id === null;
    $('jobs-empty').hidden = body.children.length > 0;
  }

  // ---- job detail ----
  async function openJob(id) {
    state.selected = id;
    for (const tr of $('jobs-body').children) tr.classList.toggle('selected', Number(tr.dataset.jobId) === id);
    $('detail-message').textContent = '';
    $('detail').hidden = false;
    await loadDetail();
  }

  async function loadDetail() {
    if (state.selected === null) return;
    const j = await api(`/api/jobs/${state.selected}`);
    $('detail').dataset.jobId = j.id;
    $('detail').dataset.status = j.status;
    $('detail-title').replaceChildren(`Job #${j.id} `, el('span', { class: 'mono' }, j.job_type), ' ', badge(j.status));
    $('btn-retry').disabled = !j.actions.retry;
    $('btn-cancel').disabled = !j.actions.cancel;
    $('btn-requeue').disabled = !j.actions.requeue;
    const t = j.timings;
    const facts = [
      ['attempts', `${j.attempt} of ${j.max_attempts}`], ['priority', j.priority],
      ['created', fmtTime(t.created_at)], ['due', fmtTime(t.scheduled_at)],
      ['started', fmtTime(t.started_at)], ['finished', fmtTime(t.completed_at)],
      ['waited', fmtSeconds(t.wait_seconds)], ['ran', fmtSeconds(t.run_seconds)],
      ['lease', j.lease ? `${j.lease.owner} until ${fmtTime(j.lease.expires_at)}` : '—'],
      ['delivery', j.event_id ? `#${j.event_id}` : '—'],
    ];
    $('detail-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
    $('detail-errors').replaceChildren(...(j.errors.length
      ? j.errors.map((e) => el('li', {}, el('div', { class: 'muted' }, `attempt ${e.attempt} · ${fmtTime(e.at)}`), el('pre', { class: 'error-text' }, e.error)))
      : [el('li', { class: 'muted none' }, 'No failed attempts.')]));
    $('detail-payload').textContent = JSON.stringify(j.payload, null, 2);
    $('detail-output').textContent = j.output || '(no output)';
    window.afSteps.follow(j);
  }

  async function act(action) {
    const id = state.selected;
    const message = $('detail-message');
    message.className = 'message';
    try {
      const result = await api(`/api/jobs/${id}/${action}`, 'POST');
      message.textContent = action === 'requeue' ? `Requeued: a copy was queued as job #${result.job_id}.`
        : action === 'retry' ? `Retried: job #${id} was put back in the queue.` : `Cancelled job #${id}.`;
      if (action === 'requeue') message.append(' ', el('button', { type: 'button', class: 'link', 'data-open-job': result.job_id }, 'Open it'));
    } catch (e) {
      message.className = 'message error';
      message.textContent = e.message;
    }
    await refresh();
  }

  // ---- deliveries ----
  function eventRow(e) {
    return el('tr', { 'data-event-id': e.id },
      el('td', { class: 'num' }, e.id),
      el('td', {}, fmtTime(e.received_at)),
      el('td', { class: 'mono' }, e.event),
      el('td', {}, e.action || ''),
      el('td', {}, e.repository || ''),
      el('td', {}, el('span', { class: `badge ${e.outcome}` }, e.outcome),
        // Why jobs of this delivery were not created or not started (docs/security.md); text, never markup.
        e.trigger_refusal ? el('div', { class: 'refusal' }, ...e.trigger_refusal.split('\n').map((line) => el('div', {}, line))) : null),
      el('td', {}, ...e.job_ids.map((id) => el('button', { type: 'button', class: 'link', 'data-open-job': id }, `#${id}`))));
  }

  async function loadEvents(append) {
    const body = $('events-body');
    const q = new URLSearchParams();
    if ($('filter-event').value) q.set('event', $('filter-event').value);
    const rows = body.querySelectorAll('tr[data-event-id]');
    if (append && rows.length) { q.set('before_id', rows[rows.length - 1].dataset.eventId); q.set('limit', 25); } else q.set('limit', Math.min(200, state.eventsShown));
    const seq = ++state.eventsSeq;
    const page = await api(`/api/events?${q}`);
    if (seq !== state.eventsSeq) return;
    const fresh = page.items.map(eventRow);
    if (append) body.append(...fresh); else body.replaceChildren(...fresh);
    state.eventsShown = Math.max(25, body.children.length);
    $('events-more').hidden = page.next_before_id === null;
    $('events-empty').hidden = body.children.length > 0;
  }

  // ---- live updates ----
  async function refresh() {
    try {
      await Promise.all([loadJobs(false), loadEvents(false), loadDetail()]);
    } catch (e) {
      $('updated').textContent = e.message;
    }
  }

  function scheduleRefresh() {
    clearTimeout(state.refresh);
    state.refresh = setTimeout(refresh, 100);
  }

  function setLive(on, text) {
    $('live').className = `live ${on ? 'on' : 'off'}`;
    $('live').textContent = text || (on ? 'live' : 'reconnecting…');
  }

  function connect() {
    const stream = new EventSource('/api/stream');
    state.stream = stream;
    stream.addEventListener('changed', (e) => {
      setLive(true);
      renderStats(JSON.parse(e.data));
      scheduleRefresh();
    });
    stream.addEventListener('error', () => {
      setLive(false);
      if (stream.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the session ended): check the session, then start again.
        setTimeout(() => api('/api/session').then(connect, () => setLive(false, 'offline')), 3000);
      }
    });
  }

  // ---- wiring ----
  function wire() {
    document.querySelectorAll('.seg button').forEach((b) => b.addEventListener('click', () => {
      state.window = b.dataset.window;
      document.querySelectorAll('.seg button').forEach((o) => o.classList.toggle('on', o === b));
      renderChart();
    }));
    document.querySelectorAll('.card').forEach((c) => c.addEventListener('click', () => {
      $('filter-status').value = $('filter-status').value === c.dataset.status ? '' : c.dataset.status;
      state.jobsShown = PAGE;
      loadJobs(false);
    }));
    let typing = null;
    $('job-filters').addEventListener('submit', (e) => e.preventDefault());
    $('filter-status').addEventListener('change', () => { state.jobsShown = PAGE; loadJobs(false); });
    $('filter-type').addEventListener('change', () => { state.jobsShown = PAGE; loadJobs(false); });
    $('filter-search').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { state.jobsShown = PAGE; loadJobs(false); }, 250); });
    $('filter-event').addEventListener('change', () => { state.eventsShown = 25; loadEvents(false); });
    $('jobs-more').addEventListener('click', () => loadJobs(true));
    $('events-more').addEventListener('click', () => loadEvents(true));
    $('jobs-body').addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-job-id]');
      if (tr) openJob(Number(tr.dataset.jobId));
    });
    $('jobs-body').addEventListener('keydown', (e) => {
      const tr = e.target.closest('tr[data-job-id]');
      if (tr && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); openJob(Number(tr.dataset.jobId)); }
    });
    document.body.addEventListener('click', (e) => {
      const link = e.target.closest('[data-open-job]');
      if (link) openJob(Number(link.dataset.openJob));
    });
    $('detail-close').addEventListener('click', () => {
      state.selected = null;
      window.afSteps.stop();
      $('detail').hidden = true;
      for (const tr of $('jobs-body').children) tr.classList.remove('selected');
    });
    $('btn-retry').addEventListener('click', () => act('retry'));
    $('btn-cancel').addEventListener('click', () => act('cancel'));
    $('btn-requeue').addEventListener('click', () => act('requeue'));
    $('logout').addEventListener('click', async () => {
      try { await api('/dashboard/logout', 'POST'); } catch { /* the login page is where we go either way */ }
      location.assign('/dashboard/login');
    });
  }

  async function start() {
    wire();
    const session = await api('/api/session');
    state.csrf = session.csrf_token;
    await refresh();
    connect();
  }

  document.addEventListener('DOMContentLoaded', () => start().catch((e) => setLive(false, e.message)));
})();
