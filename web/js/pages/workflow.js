// SPDX-License-Identifier: MIT
// One workflow: Overview, Tasks, Execution conditions, Versions, Execution
// scope, Run on demand, and its Workflow history (history.js).

import * as api from '../api.js';
import {
  h, add, clear, fmtDate, fmtBool, kv, tabs, errorBox, loading, emptyState, dataTable, pagedList,
  confirmDialog, toast, field, badge,
} from '../dom.js';
import { can } from '../app.js';
import { describeTrigger, describeScope } from './wizard.js';

const TABS = [
  ['', 'Overview'], ['tasks', 'Tasks'], ['conditions', 'Execution conditions'], ['versions', 'Versions'],
  ['scope', 'Execution scope'], ['run', 'Run on demand'], ['history', 'Workflow history'],
];

export async function render(main, parts, params, ctx) {
  const [id, tab = '', ...rest] = parts;
  add(main, loading());
  let wf;
  try {
    wf = (await api.get(api.q(`${api.LW}/workflows/${id}`, { $expand: 'tasks,createdBy,lastModifiedBy' })));
  } catch (e) {
    add(clear(main), h('div.crumbs', h('a', { href: '#/workflows' }, 'Workflows')), h('h1', 'Workflow'), errorBox(e));
    return;
  }
  clear(main);
  if (tab === 'edit') return (await import('./wizard.js')).render(main, wf, params, ctx);
  document.title = `${wf.displayName} · lcw admin center`;
  const active = ['runs', 'users'].includes(tab) ? 'history' : tab;
  add(main, h('div.crumbs', h('a', { href: '#/workflows' }, 'Workflows')), header(wf),
    tabs(TABS.filter(([t]) => t !== 'run' || can('activate')).map(([t, label]) =>
      ({ label, href: `#/workflows/${id}${t ? `/${t}` : ''}`, current: t === active })), 'Workflow'));
  const body = h('div');
  add(main, body);
  switch (tab) {
    case '': return overview(body, wf);
    case 'tasks': return tasksTab(body, wf);
    case 'conditions': return conditionsTab(body, wf);
    case 'versions': return versionsTab(body, wf);
    case 'scope': return scopeTab(body, wf);
    case 'run': return runTab(body, wf);
    case 'history': case 'runs': case 'users':
      return (await import('./history.js')).render(body, wf, [tab, ...rest], params, ctx);
    default: add(body, emptyState('No such page', `"${tab}" is not a page of a workflow.`));
  }
}

function header(wf) {
  const actions = h('div.actions');
  if (can('wfWrite')) {
    add(actions, 
      h('a.button', { href: `#/workflows/${wf.id}/edit` }, 'Edit (new version)'),
      h('button', { type: 'button', onclick: () => toggle(wf, 'isEnabled') }, wf.isEnabled ? 'Disable' : 'Enable'),
      h('button', { type: 'button', onclick: () => toggle(wf, 'isSchedulingEnabled') }, wf.isSchedulingEnabled ? 'Turn scheduling off' : 'Turn scheduling on'),
      h('button.danger', { type: 'button', onclick: () => remove(wf) }, 'Delete'));
  }
  return h('div.page-head',
    h('div', h('h1', wf.displayName),
      h('div.muted', `${wf.category} · version ${wf.version} · `, wf.isEnabled ? 'enabled' : 'disabled', ' · scheduling ', wf.isSchedulingEnabled ? 'on' : 'off')),
    actions);
}

async function toggle(wf, prop) {
  try {
    await api.patch(`${api.LW}/workflows/${wf.id}`, { [prop]: !wf[prop] });
    toast(prop === 'isEnabled' ? (wf[prop] ? 'Workflow disabled' : 'Workflow enabled') : (wf[prop] ? 'Scheduling turned off' : 'Scheduling turned on'));
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } catch (e) {
    toast(`${e.message}`, 'error');
  }
}

async function remove(wf) {
  const ok = await confirmDialog('Delete workflow',
    `Delete "${wf.displayName}"? Queued and in-progress users are canceled. It stays in Deleted workflows, where it can be restored, until the retention period ends.`,
    'Delete', true);
  if (!ok) return;
  try {
    await api.del(`${api.LW}/workflows/${wf.id}`);
    toast('Workflow deleted');
    location.hash = '#/workflows';
  } catch (e) {
    toast(e.message, 'error');
  }
}

function overview(body, wf) {
  const q = wf.quarantineDetails;
  if (q && q.quarantineType && q.quarantineType !== 'notQuarantined') {
    const approve = can('wfWrite') ? h('button.primary', {
      type: 'button',
      onclick: async (e) => {
        e.currentTarget.disabled = true;
        try {
          await api.post(`${api.LW}/workflows/${wf.id}/clearQuarantine`, {});
          toast('Execution approved; the workflow runs again on its schedule');
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        } catch (err) { e.currentTarget.disabled = false; toast(err.message, 'error'); }
      },
    }, 'Approve execution') : null;
    add(body, h('div.banner', { role: 'alert' },
      h('div', h('strong', 'This workflow is quarantined. '),
        q.quarantineReason || 'A scheduled run would have processed more users than the execution thresholds allow.',
        ` (since ${fmtDate(q.quarantineDateTime || q.quarantinedDateTime)}). No scheduled run starts until an administrator approves execution.`), approve));
  }
  const ec = wf.executionConditions || {};
  add(body, h('div.panel', kv([
    ['Name', wf.displayName],
    ['Description', wf.description || '—'],
    ['Category', wf.category],
    ['Enabled', fmtBool(wf.isEnabled)],
    ['Scheduling enabled', fmtBool(wf.isSchedulingEnabled)],
    ['Version', wf.version],
    ['Next scheduled run', wf.isEnabled && wf.isSchedulingEnabled ? fmtDate(wf.nextScheduleRunDateTime) : '—'],
    ['Trigger', (ec['@odata.type'] || '').endsWith('onDemandExecutionOnly') ? 'On-demand only' : describeTrigger(ec.trigger)],
    ['Scope', (ec['@odata.type'] || '').endsWith('onDemandExecutionOnly') ? '—' : describeScope(ec.scope)],
    ['Tasks', `${(wf.tasks || []).filter((t) => t.isEnabled).length} enabled of ${(wf.tasks || []).length}`],
    ['Created', `${fmtDate(wf.createdDateTime)}${wf.createdBy ? ` by ${wf.createdBy.displayName || wf.createdBy.id}` : ''}`],
    ['Last modified', `${fmtDate(wf.lastModifiedDateTime)}${wf.lastModifiedBy ? ` by ${wf.lastModifiedBy.displayName || wf.lastModifiedBy.id}` : ''}`],
    ['Id', h('code', wf.id)],
  ])), h('p', h('a', { href: `#/workflows/${wf.id}/history/users` }, 'Workflow history →')));
}

function taskTable(tasks) {
  const t = dataTable([
    { label: '#', className: 'num', render: (x) => x.executionSequence },
    { label: 'Task', render: (x) => h('div', h('strong', x.displayName), x.description ? h('div.muted.small', x.description) : null) },
    { label: 'Enabled', render: (x) => fmtBool(x.isEnabled) },
    { label: 'Continue on error', render: (x) => fmtBool(x.continueOnError) },
    { label: 'Arguments', render: (x) => (x.arguments || []).map((a) => h('div', h('code', a.name), ' = ', a.value)) },
  ], { caption: 'Tasks' });
  t.addRows([...tasks].sort((a, b) => a.executionSequence - b.executionSequence));
  return t.el;
}

function tasksTab(body, wf) {
  add(body, h('h2', 'Tasks'), (wf.tasks || []).length ? taskTable(wf.tasks) : emptyState('No tasks'),
    can('wfWrite') ? h('p.muted', 'To add, remove or reorder tasks, ', h('a', { href: `#/workflows/${wf.id}/edit` }, 'edit the workflow'), ' (this creates a new version).') : null);
}

function conditionsTab(body, wf) {
  const ec = wf.executionConditions || {};
  const onDemand = (ec['@odata.type'] || '').endsWith('onDemandExecutionOnly');
  add(body, h('h2', 'Execution conditions'), h('div.panel', kv([
    ['Type', onDemand ? 'On-demand only' : 'Trigger and scope'],
    ['Trigger', onDemand ? '—' : describeTrigger(ec.trigger)],
    ['Scope', onDemand ? '—' : describeScope(ec.scope)],
  ]), h('details', h('summary', 'As JSON'), h('pre.mono', JSON.stringify(ec, null, 2)))));
}

// ------------------------------------------------------------ versions

function changes(prev, cur, prevTasks, curTasks) {
  const out = [];
  for (const p of ['displayName', 'description', 'isEnabled', 'isSchedulingEnabled']) {
    if (JSON.stringify(prev[p]) !== JSON.stringify(cur[p])) out.push(h('li', `${p}: `, h('span.diff-del', String(prev[p] ?? '—')), ' → ', h('span.diff-add', String(cur[p] ?? '—'))));
  }
  if (JSON.stringify(prev.executionConditions) !== JSON.stringify(cur.executionConditions)) {
    out.push(h('li', 'Execution conditions changed: ', h('code', JSON.stringify(cur.executionConditions?.scope?.rule ?? cur.executionConditions?.trigger ?? cur.executionConditions))));
  }
  if (prevTasks && curTasks) {
    const key = (t) => `${t.taskDefinitionId}|${t.displayName}`;
    const pk = new Map(prevTasks.map((t) => [key(t), t]));
    const ck = new Map(curTasks.map((t) => [key(t), t]));
    for (const [k, t] of ck) {
      if (!pk.has(k)) out.push(h('li.diff-add', `Task added: ${t.displayName}`));
      else {
        const o = pk.get(k);
        const diffs = ['isEnabled', 'continueOnError', 'executionSequence', 'arguments'].filter((p) => JSON.stringify(o[p]) !== JSON.stringify(t[p]));
        if (diffs.length) out.push(h('li', `Task changed: ${t.displayName} (${diffs.join(', ')})`));
      }
    }
    for (const [k, t] of pk) if (!ck.has(k)) out.push(h('li.diff-del', `Task removed: ${t.displayName}`));
  }
  return out;
}

async function versionsTab(body, wf) {
  add(body, h('h2', 'Versions'), loading());
  try {
    const versions = await api.all(api.q(`${api.LW}/workflows/${wf.id}/versions`, { $orderby: 'versionNumber desc' }));
    versions.sort((a, b) => b.versionNumber - a.versionNumber);
    const tasks = await Promise.all(versions.map((v) => api.all(`${api.LW}/workflows/${wf.id}/versions/${v.versionNumber}/tasks`).catch(() => null)));
    add(clear(body), h('h2', 'Versions'));
    versions.forEach((v, i) => {
      const prev = versions[i + 1];
      const diff = prev ? changes(prev, v, tasks[i + 1], tasks[i]) : [];
      add(body, h('section.panel', { 'aria-label': `Version ${v.versionNumber}` },
        h('h3', `Version ${v.versionNumber}`, v.versionNumber === wf.version ? h('span.pill', ' current') : null),
        h('p.muted', `Created ${fmtDate(v.createdDateTime)}${v.createdBy ? ` by ${v.createdBy.displayName}` : ''}`),
        prev ? (diff.length ? h('ul', diff) : h('p.muted', 'No visible change from the version before.')) : h('p.muted', 'The first version.'),
        tasks[i] ? h('details', h('summary', `Tasks (${tasks[i].length})`), taskTable(tasks[i])) : null));
    });
  } catch (e) {
    add(clear(body), h('h2', 'Versions'), errorBox(e));
  }
}

async function scopeTab(body, wf) {
  add(body, h('h2', 'Execution scope'), h('p.muted', 'The users who meet the execution conditions now and would be processed by the next scheduled run.'));
  const names = new Map();
  const t = dataTable([
    { label: 'User', render: (u) => { const n = names.get(u.id); return h('div', n?.displayName || u.displayName || u.id, n?.userPrincipalName ? h('div.muted.small', n.userPrincipalName) : null); } },
    { label: 'Id', render: (u) => h('code.small', u.id) },
  ], { caption: 'Users in scope' });
  const pl = pagedList(t, async (next) => {
    const p = await api.page(next || api.q(`${api.LW}/workflows/${wf.id}/executionScope`, { $top: 50 }));
    const lookup = await api.userNames(p.items.map((u) => u.id));
    for (const u of p.items) names.set(u.id, lookup(u.id));
    return p;
  }, { empty: emptyState('Nobody qualifies now', 'No user meets the execution conditions at the moment.') });
  add(body, t.el, pl.el);
  pl.reload();
}

// ------------------------------------------------------------ run on demand

function runTab(body, wf) {
  add(body, h('h2', 'Run on demand'),
    h('p.muted', 'Pick up to 10 users. The workflow runs its tasks for them now, whether or not they meet the execution conditions.'));
  if (!wf.isEnabled) add(body, h('p.warning', 'The workflow is disabled; enable it before running it on demand.'));
  const picked = new Map();
  const input = h('input', { type: 'search', placeholder: 'Search users by name', autocomplete: 'off' });
  const results = h('ul.picker-results', { 'aria-label': 'Matching users' });
  results.hidden = true;
  const chips = h('div.chips', { 'aria-label': 'Selected users' });
  const err = h('div');
  const run = h('button.primary', { type: 'button', disabled: true }, 'Run workflow');
  const count = h('span.muted');
  const drawChips = () => {
    add(clear(chips), [...picked.values()].map((u) => h('span.chip', u.displayName,
      h('button', { type: 'button', 'aria-label': `Remove ${u.displayName}`, onclick: () => { picked.delete(u.id); drawChips(); } }, '×'))));
    run.disabled = !picked.size;
    count.textContent = `${picked.size} of 10 selected`;
  };
  let timer;
  let seq = 0;
  const search = async () => {
    const mine = ++seq;
    try {
      const users = await api.searchUsers(input.value, 10);
      if (mine !== seq) return;
      add(clear(results), users.length ? users.map((u) => h('li',
        h('span', u.displayName, h('span.muted.small', ` ${u.userPrincipalName || ''}`)),
        h('button', {
          type: 'button',
          disabled: picked.has(u.id),
          'aria-label': `Add ${u.displayName}`,
          onclick: (e) => {
            if (picked.size >= 10) { toast('You can run a workflow on demand for at most 10 users at a time.', 'error'); return; }
            picked.set(u.id, u);
            e.currentTarget.disabled = true;
            drawChips();
            input.focus();
          },
        }, 'Add'))) : h('li.muted', 'No user matches.'));
      results.hidden = false;
    } catch (e) {
      add(clear(results), h('li', errorBox(e)));
      results.hidden = false;
    }
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  run.addEventListener('click', async () => {
    run.disabled = true;
    clear(err);
    try {
      const r = await api.post(`${api.LW}/workflows/${wf.id}/activate`, { subjects: [...picked.keys()].map((id) => ({ id })) });
      const loc = r.headers.get('Location') || '';
      const runId = loc.split('/runs/')[1];
      toast(`Run started for ${picked.size} user${picked.size === 1 ? '' : 's'}`);
      location.hash = runId ? `#/workflows/${wf.id}/runs/${runId}` : `#/workflows/${wf.id}/history/runs`;
    } catch (e) {
      add(err, errorBox(e, 'The run was not started'));
      run.disabled = false;
    }
  });
  add(body, h('div.panel', field('Search users', input), results, chips, h('div.actions', run, count), err));
  drawChips();
}

export { badge };
