// SPDX-License-Identifier: MIT
// Workflow history: the Users / Runs / Tasks switch with summary cards,
// filters, paging, Download, Reprocess and Cancel run; a run's page and a
// processed user's page, with the reprocess lineage both ways.

import * as api from '../api.js';
import {
  h, add, clear, fmtDate, badge, execText, statusText, STATUSES, FINAL, dataTable, pagedList, cards, errorBox, loading,
  emptyState, field, kv, shortId, toast, duration,
} from '../dom.js';
import { can, setParams } from '../app.js';
import { openReprocess, cancelRun, followRun, runProgress } from './reprocess.js';

const RANGES = [['24h', 'Last 24 hours', 1], ['7d', 'Last 7 days', 7], ['30d', 'Last 30 days', 30], ['custom', 'Custom', 0]];
const PAGE = 25;

/** {start, end} ISO strings for the range in params. */
function window_(params) {
  const r = RANGES.find(([k]) => k === params.get('range')) || RANGES[1];
  if (r[0] === 'custom') {
    const from = params.get('from');
    const to = params.get('to');
    return {
      start: from ? new Date(from).toISOString() : new Date(Date.now() - 30 * 864e5).toISOString(),
      end: to ? new Date(to).toISOString() : new Date().toISOString(),
    };
  }
  return { start: new Date(Date.now() - r[2] * 864e5).toISOString(), end: new Date(Date.now() + 60000).toISOString() };
}

/** Run `fn` over `items` with at most `n` at a time. */
async function pool(items, n, fn) {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) { const x = items[i++]; await fn(x); }
  }));
}

/** The first failure of a user result: its reason, for the Users grid. */
async function firstFailures(base, results) {
  const out = new Map();
  await pool(results.filter((r) => r.failedTasksCount > 0), 6, async (r) => {
    try {
      const p = await api.page(api.q(`${base}/${r.id}/taskProcessingResults`, { $filter: "processingStatus eq 'failed'", $top: 1 }));
      if (p.items[0]) out.set(r.id, p.items[0]);
    } catch { /* the row still shows the counts */ }
  });
  return out;
}

export async function render(body, wf, parts, params, ctx) {
  const [kind, sub] = parts;
  if (kind === 'runs' && sub) return runPage(body, wf, sub, ctx);
  if (kind === 'users' && sub) return userPage(body, wf, sub, ctx);
  const view = ['users', 'runs', 'tasks'].includes(sub) ? sub : 'users';
  return historyView(body, wf, view, params, ctx);
}

// ------------------------------------------------------------ the views

async function historyView(body, wf, view, params, ctx) {
  const base = `${api.LW}/workflows/${wf.id}`;
  const hrefFor = (v) => `#/workflows/${wf.id}/history/${v}${params.toString() ? `?${params}` : ''}`;
  add(body, h('div.page-head', h('h2', 'Workflow history'),
    h('nav.switch', { 'aria-label': 'History view' }, [['users', 'Users'], ['runs', 'Runs'], ['tasks', 'Tasks']].map(([v, l]) =>
      h('a', { href: hrefFor(v), 'aria-current': v === view ? 'page' : null }, l)))));

  // Filters
  const range = h('select', RANGES.map(([k, l]) => h('option', { value: k, selected: (params.get('range') || '7d') === k }, l)));
  const from = h('input', { type: 'datetime-local', value: params.get('from') || '' });
  const to = h('input', { type: 'datetime-local', value: params.get('to') || '' });
  const customBox = h('div.toolbar', field('From', from), field('To', to));
  customBox.hidden = range.value !== 'custom';
  const status = h('select', h('option', { value: '' }, 'All statuses'), STATUSES.map((s) => h('option', { value: s, selected: params.get('status') === s }, statusText(s))));
  const type = h('select', [['', 'All execution types'], ['scheduled', 'Scheduled'], ['onDemand', 'On-demand'], ['activatedWithScope', 'Reprocess']].map(([v, l]) =>
    h('option', { value: v, selected: params.get('type') === v }, l)));
  const taskSel = h('select', h('option', { value: '' }, 'All tasks'), (wf.tasks || []).map((t) => h('option', { value: t.id, selected: params.get('task') === t.id }, t.displayName)));
  const filters = h('div.toolbar', { role: 'search', 'aria-label': 'History filters' },
    field('Date range', range), field('Status', status), view === 'tasks' ? field('Task name', taskSel) : field('Execution type', type));
  add(body, filters, customBox);

  const cardBox = h('div', { 'aria-live': 'polite' });
  const actions = h('div.actions');
  const tableBox = h('div');
  add(body, cardBox, actions, tableBox);

  const state = () => ({
    range: range.value, from: range.value === 'custom' ? from.value : '', to: range.value === 'custom' ? to.value : '',
    status: status.value, type: view === 'tasks' ? '' : type.value, task: view === 'tasks' ? taskSel.value : '',
  });
  const onChange = () => {
    customBox.hidden = range.value !== 'custom';
    const s = state();
    setParams(s);
    const p = new URLSearchParams(Object.entries(s).filter(([, v]) => v));
    for (const a of body.querySelectorAll('nav.switch a')) a.href = `${a.getAttribute('href').split('?')[0]}${p.toString() ? `?${p}` : ''}`;
    load(p);
  };
  for (const el of [range, from, to, status, type, taskSel]) el.addEventListener('change', onChange);

  function filterFor(p) {
    const { start, end } = window_(p);
    const dateProp = view === 'tasks' ? 'startedDateTime' : 'scheduledDateTime';
    const f = [`${dateProp} ge ${start}`, `${dateProp} le ${end}`];
    if (p.get('status')) f.push(`processingStatus eq '${p.get('status')}'`);
    if (view !== 'tasks' && p.get('type')) f.push(`workflowExecutionType eq '${p.get('type')}'`);
    if (view === 'tasks' && p.get('task')) f.push(`task/id eq ${p.get('task')}`);
    return { filter: f.join(' and '), dateOnly: f.slice(0, 2).join(' and '), start, end };
  }

  let table;
  let pl;
  async function load(p) {
    const f = filterFor(p);
    const coll = view === 'users' ? 'userProcessingResults' : view === 'runs' ? 'runs' : 'taskReports';
    const listPath = api.q(`${base}/${coll}`, { $filter: f.filter, $count: 'true', $top: PAGE });
    summaryCards(cardBox, base, view, f);
    clear(actions);
    clear(tableBox);
    if (view === 'users') ({ table, pl } = usersTable(wf, base, listPath, actions, f, reloadAll));
    else if (view === 'runs') ({ table, pl } = runsTable(wf, base, listPath, actions, f, reloadAll));
    else ({ table, pl } = tasksTable(wf, base, listPath));
    add(actions, h('span.spacer'), h('button', {
      type: 'button',
      onclick: async (e) => {
        const b = e.currentTarget;
        b.disabled = true;
        try {
          await api.downloadCsv(api.q(`${base}/${coll}`, { $filter: f.filter, $top: 999 }), `${wf.displayName} ${view} ${f.start.slice(0, 10)} to ${f.end.slice(0, 10)}.csv`);
        } catch (err) { toast(`Download failed: ${err.message}`, 'error'); }
        b.disabled = false;
      },
    }, 'Download'));
    add(tableBox, table.el, pl.el);
    await pl.reload();
  }
  const reloadAll = () => load(new URLSearchParams(Object.entries(state()).filter(([, v]) => v)));
  await load(params);
}

/** Summary cards from the summary(...) functions, else computed from the list. */
async function summaryCards(box, base, view, f) {
  add(clear(box), loading('Loading the summary…'));
  const coll = view === 'users' ? 'userProcessingResults' : view === 'runs' ? 'runs' : 'taskReports';
  let s = null;
  let computed = false;
  try {
    s = await api.get(`${base}/${coll}/summary(startDateTime=${f.start},endDateTime=${f.end})`);
  } catch (e) {
    if (![400, 404, 405].includes(e.status)) { add(clear(box), errorBox(e, 'Summary')); return; }
  }
  if (!s) {
    computed = true;
    try {
      const items = await api.all(api.q(`${base}/${coll}`, { $filter: f.dateOnly, $top: 999 }), { max: 20000 });
      const sum = (k) => items.reduce((n, i) => n + (i[k] || 0), 0);
      const n = (pred) => items.filter(pred).length;
      if (view === 'users') {
        s = { totalUsers: items.length, successfulUsers: n((i) => i.processingStatus === 'completed'), failedUsers: n((i) => ['failed', 'completedWithErrors'].includes(i.processingStatus)), totalTasks: sum('totalTasksCount'), failedTasks: sum('failedTasksCount') };
      } else if (view === 'runs') {
        s = { totalRuns: items.length, successfulRuns: n((i) => i.processingStatus === 'completed'), failedRuns: n((i) => i.processingStatus === 'failed'), runsWithFailedTasks: n((i) => i.failedTasksCount > 0), failedTasks: sum('failedTasksCount'), totalUsers: sum('totalUsersCount') };
      } else {
        s = { totalTasks: sum('totalUsersCount'), successfulTasks: sum('successfulUsersCount'), failedTasks: sum('failedUsersCount'), unprocessedTasks: sum('unprocessedUsersCount') };
      }
      if (items.truncated) computed = 'truncated';
    } catch (e) {
      add(clear(box), errorBox(e, 'Summary'));
      return;
    }
  }
  const bad = (v) => (v ? 'bad' : null);
  let list;
  if (view === 'users') {
    list = [
      { label: 'Total users processed', value: s.totalUsers }, { label: 'Successful users', value: s.successfulUsers, tone: 'good' },
      { label: 'Failed users', value: s.failedUsers, tone: bad(s.failedUsers) }, { label: 'Total tasks', value: s.totalTasks },
      { label: 'Failed tasks', value: s.failedTasks, tone: bad(s.failedTasks) }];
  } else if (view === 'runs') {
    list = [
      { label: 'Runs processed', value: s.totalRuns }, { label: 'Successful runs', value: s.successfulRuns, tone: 'good' },
      { label: 'Failed runs', value: s.failedRuns, tone: bad(s.failedRuns) }, { label: 'Runs with failed tasks', value: s.runsWithFailedTasks, tone: bad(s.runsWithFailedTasks) },
      { label: 'Failed tasks', value: s.failedTasks, tone: bad(s.failedTasks) }, { label: 'Users processed', value: s.totalUsers }];
  } else {
    list = [
      { label: 'Tasks processed', value: s.totalTasks }, { label: 'Successful tasks', value: s.successfulTasks, tone: 'good' },
      { label: 'Failed tasks', value: s.failedTasks, tone: bad(s.failedTasks) }, { label: 'Unprocessed tasks', value: s.unprocessedTasks }];
  }
  add(clear(box), cards(list, 'Summary'), computed === 'truncated' ? h('p.muted.small', 'Summary counted from the first 20,000 items.') : null);
}

function userCell(name, r, wfId) {
  const n = name(r.subject.id);
  return h('div', h('a', { href: `#/workflows/${wfId}/users/${r.id}` }, n?.displayName || r.subject.displayName || r.subject.id),
    n?.userPrincipalName ? h('div.muted.small', n.userPrincipalName) : null);
}

function usersTable(wf, base, listPath, actions, f, reload) {
  let name = () => null;
  let fails = new Map();
  const reprocess = h('button.primary', { type: 'button', disabled: true }, 'Reprocess');
  const table = dataTable([
    { label: 'User', render: (r) => userCell(name, r, wf.id) },
    { label: 'Status', render: (r) => badge(r.processingStatus) },
    { label: 'Execution type', className: 'opt', render: (r) => execText(r.workflowExecutionType) },
    { label: 'Tasks', className: 'num', render: (r) => r.totalTasksCount },
    { label: 'Failed', className: 'num', render: (r) => r.failedTasksCount },
    { label: 'Unprocessed', className: 'opt num', render: (r) => r.totalUnprocessedTasksCount },
    { label: 'Failure reason', render: (r) => { const t = fails.get(r.id); return t ? h('div.reason', h('strong', `${t.task?.displayName}: `), t.failureReason) : ''; } },
    { label: 'Scheduled', className: 'opt date', render: (r) => fmtDate(r.scheduledDateTime) },
    { label: 'Completed', className: 'date', render: (r) => fmtDate(r.completedDateTime) },
    { label: 'Version', className: 'opt num', render: (r) => r.workflowVersion },
  ], {
    caption: 'Processed users',
    select: can('activate') ? {
      max: 10, noun: 'users', label: (r) => name(r.subject.id)?.displayName || r.subject.id,
      onChange: (sel) => { reprocess.disabled = !sel.length; reprocess.textContent = sel.length ? `Reprocess (${sel.length})` : 'Reprocess'; },
    } : null,
  });
  if (can('activate')) {
    reprocess.addEventListener('click', () => openReprocess(wf, { kind: 'results', results: table.selected(), label: (id) => name(id)?.displayName || id },
      { onDone: () => { table.clearSelection(); reload(); } }));
    add(actions, reprocess, reprocessAllFailed(wf, f, reload), h('span.muted.small', 'Select up to 10 users to reprocess.'));
  }
  const pl = pagedList(table, (next) => api.page(next || listPath), {
    empty: emptyState('No users processed', 'No user was processed by this workflow with these filters. Widen the date range or run the workflow on demand.'),
    onItems: async (items) => {
      const [lookup, f2] = await Promise.all([api.userNames(items.map((r) => r.subject.id)), firstFailures(`${base}/userProcessingResults`, items)]);
      name = lookup;
      for (const [k, v] of f2) fails.set(k, v);
    },
  });
  return { table, pl };
}

function reprocessAllFailed(wf, f, reload) {
  return h('button', {
    type: 'button',
    onclick: () => openReprocess(wf, {
      kind: 'query',
      filter: `processingStatus in ('failed','completedWithErrors') and scheduledDateTime ge ${f.start} and scheduledDateTime le ${f.end}`,
      description: `Every user whose processing failed or completed with errors between ${fmtDate(f.start)} and ${fmtDate(f.end)}.`,
    }, { onDone: reload }),
  }, 'Reprocess all failed');
}

function lineageCells(run, reprocessedIn, wfId) {
  const out = [];
  const src = run.activatedOnScope?.run?.id;
  if (src) out.push(h('div', 'Reprocess of run ', h('a', { href: `#/workflows/${wfId}/runs/${src}` }, shortId(src))));
  else if (run.workflowExecutionType === 'activatedWithScope' && run.activatedOnScope?.processingResults) out.push(h('div', `Reprocess of ${run.activatedOnScope.processingResults.length} user result(s)`));
  for (const r of reprocessedIn || []) out.push(h('div', 'Reprocessed in run ', h('a', { href: `#/workflows/${wfId}/runs/${r.id}` }, shortId(r.id))));
  return out;
}

function runsTable(wf, base, listPath, actions, f, reload) {
  const lineage = new Map();
  const reprocess = h('button.primary', { type: 'button', disabled: true }, 'Reprocess');
  const cancel = h('button', { type: 'button', disabled: true }, 'Cancel run');
  const table = dataTable([
    { label: 'Run', render: (r) => h('div', h('a', { href: `#/workflows/${wf.id}/runs/${r.id}` }, fmtDate(r.scheduledDateTime, true)), h('div.muted.small.mono', shortId(r.id))) },
    { label: 'Status', render: (r) => badge(r.processingStatus) },
    { label: 'Execution type', className: 'opt', render: (r) => execText(r.workflowExecutionType) },
    { label: 'Users', className: 'num', render: (r) => r.totalUsersCount },
    { label: 'Succeeded', className: 'opt num', render: (r) => r.successfulUsersCount },
    { label: 'Failed users', className: 'num', render: (r) => r.failedUsersCount },
    { label: 'Tasks', className: 'num', render: (r) => r.totalTasksCount },
    { label: 'Failed tasks', className: 'num', render: (r) => r.failedTasksCount },
    { label: 'Duration', className: 'opt', render: (r) => duration(r.startedDateTime, r.completedDateTime) },
    { label: 'Lineage', render: (r) => lineageCells(r, lineage.get(r.id), wf.id) },
  ], {
    caption: 'Runs',
    select: can('activate') || can('wfWrite') ? {
      max: 1, noun: 'run', label: (r) => `run of ${fmtDate(r.scheduledDateTime, true)}`,
      onChange: (sel) => {
        reprocess.disabled = sel.length !== 1;
        cancel.disabled = !(sel.length === 1 && ['queued', 'inProgress'].includes(sel[0].processingStatus));
      },
    } : null,
  });
  if (can('activate')) {
    reprocess.addEventListener('click', () => openReprocess(wf, { kind: 'run', run: table.selected()[0] }, { onDone: () => { table.clearSelection(); reload(); } }));
    add(actions, reprocess);
  }
  if (can('wfWrite')) {
    cancel.addEventListener('click', async () => { if (await cancelRun(wf, table.selected()[0])) reload(); });
    add(actions, cancel);
  }
  if (can('activate')) add(actions, reprocessAllFailed(wf, f, reload), h('span.muted.small', 'Select one run to reprocess or cancel it.'));
  const pl = pagedList(table, (next) => api.page(next || listPath), {
    empty: emptyState('No runs', 'This workflow has no runs with these filters.'),
    onItems: async (items) => {
      await pool(items, 6, async (r) => {
        try { lineage.set(r.id, (await api.get(`${base}/runs/${r.id}/reprocessedRuns`)).value || []); } catch { /* optional */ }
      });
    },
  });
  return { table, pl };
}

function tasksTable(wf, base, listPath) {
  const table = dataTable([
    { label: 'Task', render: (r) => h('strong', r.task?.displayName || '—') },
    { label: 'Run', render: (r) => h('a', { href: `#/workflows/${wf.id}/runs/${r.runId}` }, shortId(r.runId)) },
    { label: 'Status', render: (r) => badge(r.processingStatus) },
    { label: 'Users', className: 'num', render: (r) => r.totalUsersCount },
    { label: 'Succeeded', className: 'opt num', render: (r) => r.successfulUsersCount },
    { label: 'Failed', className: 'num', render: (r) => r.failedUsersCount },
    { label: 'Unprocessed', className: 'num', render: (r) => r.unprocessedUsersCount },
    { label: 'Started', className: 'opt date', render: (r) => fmtDate(r.startedDateTime) },
    { label: 'Completed', className: 'date', render: (r) => fmtDate(r.completedDateTime) },
  ], { caption: 'Task reports' });
  const pl = pagedList(table, (next) => api.page(next || listPath), { empty: emptyState('No tasks processed', 'No task ran with these filters.') });
  return { table, pl };
}

// ------------------------------------------------------------ a run

async function runPage(body, wf, runId, ctx) {
  const base = `${api.LW}/workflows/${wf.id}`;
  add(body, loading());
  let run;
  try {
    run = await api.get(`${base}/runs/${runId}`);
  } catch (e) {
    add(clear(body), h('p', h('a', { href: `#/workflows/${wf.id}/history/runs` }, '← Runs')), errorBox(e, 'Run'));
    return;
  }
  clear(body);
  const head = h('div');
  const live = h('div', { 'aria-live': 'polite' });
  const lineageBox = h('div');
  const usersBox = h('div');
  const tasksBox = h('div');
  add(body, h('p.crumbs', h('a', { href: `#/workflows/${wf.id}/history/runs` }, '← Workflow history: Runs')), head, live, lineageBox,
    h('h3', 'Users'), usersBox, h('h3', 'Tasks'), tasksBox);

  function drawHead(r) {
    const acts = h('div.actions');
    if (can('activate')) add(acts, h('button.primary', { type: 'button', onclick: () => openReprocess(wf, { kind: 'run', run: r }, { onDone: () => window.dispatchEvent(new HashChangeEvent('hashchange')) }) }, 'Reprocess'));
    if (can('wfWrite') && ['queued', 'inProgress'].includes(r.processingStatus)) {
      add(acts, h('button', { type: 'button', onclick: async () => { if (await cancelRun(wf, r)) window.dispatchEvent(new HashChangeEvent('hashchange')); } }, 'Cancel run'));
    }
    add(clear(head), h('div.page-head', h('h2', `Run of ${fmtDate(r.scheduledDateTime, true)} `, badge(r.processingStatus)), acts),
      kv([
        ['Run id', h('code', r.id)], ['Execution type', execText(r.workflowExecutionType)],
        ['Scheduled', fmtDate(r.scheduledDateTime, true)], ['Started', fmtDate(r.startedDateTime, true)],
        ['Completed', fmtDate(r.completedDateTime, true)], ['Duration', duration(r.startedDateTime, r.completedDateTime)],
        r.activatedOnScope ? ['Scope', h('code.small', `${(r.activatedOnScope['@odata.type'] || '').split('.').pop()}${r.activatedOnScope.taskScope ? ` · ${r.activatedOnScope.taskScope}` : ''}${r.activatedOnScope.userScope ? ` · ${r.activatedOnScope.userScope}` : ''}`)] : null,
      ]),
      cards([
        { label: 'Users', value: r.totalUsersCount }, { label: 'Successful users', value: r.successfulUsersCount, tone: 'good' },
        { label: 'Failed users', value: r.failedUsersCount, tone: r.failedUsersCount ? 'bad' : null },
        { label: 'Tasks', value: r.totalTasksCount }, { label: 'Failed tasks', value: r.failedTasksCount, tone: r.failedTasksCount ? 'bad' : null },
        { label: 'Unprocessed tasks', value: r.totalUnprocessedTasksCount },
      ], 'Run summary'));
  }
  drawHead(run);
  lineage(lineageBox, wf, run);
  const loadTables = () => {
    clear(usersBox);
    clear(tasksBox);
    const { table, pl } = runUsersTable(wf, base, run.id);
    add(usersBox, table.el, pl.el);
    pl.reload();
    const rt = dataTable([
      { label: 'Task', render: (r) => h('strong', r.task?.displayName) },
      { label: 'Status', render: (r) => badge(r.processingStatus) },
      { label: 'Users', className: 'num', render: (r) => r.totalUsersCount },
      { label: 'Succeeded', className: 'opt num', render: (r) => r.successfulUsersCount },
      { label: 'Failed', className: 'num', render: (r) => r.failedUsersCount },
      { label: 'Unprocessed', className: 'num', render: (r) => r.unprocessedUsersCount },
    ], { caption: 'Tasks of this run' });
    const rpl = pagedList(rt, (next) => api.page(next || api.q(`${base}/taskReports`, { $filter: `runId eq '${run.id}'`, $top: 50 })), { empty: emptyState('No task ran yet') });
    add(tasksBox, rt.el, rpl.el);
    rpl.reload();
  };
  loadTables();
  if (!FINAL.includes(run.processingStatus)) {
    add(live, h('p.info', 'This run is still going; this page follows it live.'));
    try {
      run = await followRun(wf.id, run.id, (r) => drawHead(r), ctx.isCurrent);
      if (!ctx.isCurrent()) return;
      clear(live);
      loadTables();
      lineage(lineageBox, wf, run);
    } catch (e) {
      add(clear(live), errorBox(e, 'Following the run'));
    }
  }
}

/** "Reprocess of run ..." (from activatedOnScope or the runs that link here) and "Reprocessed in run ...". */
async function lineage(box, wf, run) {
  const base = `${api.LW}/workflows/${wf.id}`;
  clear(box);
  const items = [];
  const src = run.activatedOnScope?.run?.id;
  if (src) items.push(h('li', 'Reprocess of run ', h('a', { href: `#/workflows/${wf.id}/runs/${src}` }, h('code', src))));
  try {
    if (run.workflowExecutionType === 'activatedWithScope' && !src) {
      // A reprocess of selected users names result ids, not runs: find the
      // earlier runs that list this one among their reprocessedRuns.
      const earlier = await api.all(api.q(`${base}/runs`, { $filter: `scheduledDateTime le ${run.scheduledDateTime}`, $top: 50 }), { max: 50 });
      const sources = [];
      await pool(earlier.filter((r) => r.id !== run.id), 6, async (r) => {
        const rr = await api.get(`${base}/runs/${r.id}/reprocessedRuns`);
        if ((rr.value || []).some((x) => x.id === run.id)) sources.push(r);
      });
      for (const s of sources) items.push(h('li', 'Reprocess of run ', h('a', { href: `#/workflows/${wf.id}/runs/${s.id}` }, h('code', s.id)), ` (${fmtDate(s.scheduledDateTime, true)})`));
    }
    const rr = await api.get(`${base}/runs/${run.id}/reprocessedRuns`);
    for (const r of rr.value || []) {
      items.push(h('li', 'Reprocessed in run ', h('a', { href: `#/workflows/${wf.id}/runs/${r.id}` }, h('code', r.id)), ' ', badge(r.processingStatus)));
    }
  } catch (e) {
    items.push(h('li', errorBox(e, 'Lineage')));
  }
  if (items.length) add(box, h('section.panel', { 'aria-label': 'Lineage' }, h('h3', 'Lineage'), h('ul.lineage', items)));
}

function runUsersTable(wf, base, runId) {
  let name = () => null;
  const fails = new Map();
  const table = dataTable([
    { label: 'User', render: (r) => userCell(name, r, wf.id) },
    { label: 'Status', render: (r) => badge(r.processingStatus) },
    { label: 'Tasks', className: 'num', render: (r) => r.totalTasksCount },
    { label: 'Failed', className: 'num', render: (r) => r.failedTasksCount },
    { label: 'Unprocessed', className: 'opt num', render: (r) => r.totalUnprocessedTasksCount },
    { label: 'Failure reason', render: (r) => { const t = fails.get(r.id); return t ? h('div.reason', h('strong', `${t.task?.displayName}: `), t.failureReason) : ''; } },
    { label: 'Completed', className: 'date', render: (r) => fmtDate(r.completedDateTime) },
  ], { caption: 'Users of this run' });
  const pl = pagedList(table, (next) => api.page(next || api.q(`${base}/runs/${runId}/userProcessingResults`, { $top: 50, $count: 'true' })), {
    empty: emptyState('No users in this run'),
    onItems: async (items) => {
      const [lookup, f] = await Promise.all([api.userNames(items.map((r) => r.subject.id)), firstFailures(`${base}/userProcessingResults`, items)]);
      name = lookup;
      for (const [k, v] of f) fails.set(k, v);
    },
  });
  return { table, pl };
}

// ------------------------------------------------------------ a processed user

async function userPage(body, wf, resultId) {
  const base = `${api.LW}/workflows/${wf.id}`;
  add(body, loading());
  let r;
  let tasks;
  try {
    [r, tasks] = await Promise.all([
      api.get(`${base}/userProcessingResults/${resultId}`),
      api.all(`${base}/userProcessingResults/${resultId}/taskProcessingResults`),
    ]);
  } catch (e) {
    add(clear(body), h('p', h('a', { href: `#/workflows/${wf.id}/history/users` }, '← Users')), errorBox(e, 'Processed user'));
    return;
  }
  const name = (await api.userNames([r.subject.id]))(r.subject.id);
  clear(body);
  const acts = h('div.actions');
  if (can('activate')) {
    add(acts, h('button.primary', {
      type: 'button',
      onclick: () => openReprocess(wf, { kind: 'results', results: [r], label: () => name?.displayName || r.subject.id }, { onDone: () => window.dispatchEvent(new HashChangeEvent('hashchange')) }),
    }, 'Reprocess'));
  }
  add(body, h('p.crumbs', h('a', { href: `#/workflows/${wf.id}/history/users` }, '← Workflow history: Users')),
    h('div.page-head', h('h2', `${name?.displayName || r.subject.id} `, badge(r.processingStatus)), acts),
    kv([
      ['User', name ? `${name.displayName} (${name.userPrincipalName})` : r.subject.id],
      ['Execution type', execText(r.workflowExecutionType)], ['Workflow version', r.workflowVersion],
      ['Scheduled', fmtDate(r.scheduledDateTime, true)], ['Started', fmtDate(r.startedDateTime, true)], ['Completed', fmtDate(r.completedDateTime, true)],
      ['Tasks', `${r.totalTasksCount} total, ${r.failedTasksCount} failed, ${r.totalUnprocessedTasksCount} unprocessed`],
    ]));
  const lin = h('div');
  add(body, lin);
  api.get(`${base}/userProcessingResults/${r.id}/reprocessedRuns`).then((rr) => {
    if ((rr.value || []).length) {
      add(lin, h('section.panel', { 'aria-label': 'Lineage' }, h('h3', 'Lineage'), h('ul.lineage', rr.value.map((x) =>
        h('li', 'Reprocessed in run ', h('a', { href: `#/workflows/${wf.id}/runs/${x.id}` }, h('code', x.id)), ' ', badge(x.processingStatus))))));
    }
  }).catch(() => {});
  const t = dataTable([
    { label: '#', className: 'num', render: (x) => x.task?.executionSequence },
    { label: 'Task', render: (x) => h('strong', x.task?.displayName) },
    { label: 'Status', render: (x) => badge(x.processingStatus) },
    { label: 'Failure reason', render: (x) => (x.failureReason ? h('div.reason', x.failureReason) : '—') },
    { label: 'Processing info', render: (x) => x.processingInfo || '—' },
    { label: 'Started', render: (x) => fmtDate(x.startedDateTime, true) },
    { label: 'Completed', render: (x) => fmtDate(x.completedDateTime, true) },
  ], { caption: 'Task results' });
  t.addRows([...tasks].sort((a, b) => (a.task?.executionSequence || 0) - (b.task?.executionSequence || 0)));
  add(body, h('h3', 'Task results'), tasks.length ? t.el : emptyState('No task results yet'));
}
