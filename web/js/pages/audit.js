// SPDX-License-Identifier: MIT
// Audit logs: filter by date range, category, activity, initiated by; a row
// opens its targets, modified properties and details.

import * as api from '../api.js';
import { h, add, clear, fmtDate, dataTable, pagedList, emptyState, field, dialog, kv } from '../dom.js';
import { setParams } from '../app.js';

const CATEGORIES = ['WorkflowManagement', 'TaskManagement', 'CustomTaskExtensionManagement', 'SettingsManagement', 'TokenManagement', 'UserManagement', 'GroupManagement', 'DirectoryManagement'];
const RANGES = [['24h', 'Last 24 hours', 1], ['7d', 'Last 7 days', 7], ['30d', 'Last 30 days', 30], ['all', 'All time', 0], ['custom', 'Custom', -1]];
const esc = (s) => s.replace(/'/g, "''");

export async function render(main, parts, params) {
  document.title = 'Audit logs · lcw admin center';
  add(main, h('h1', 'Audit logs'));
  const range = h('select', RANGES.map(([k, l]) => h('option', { value: k, selected: (params.get('range') || '7d') === k }, l)));
  const from = h('input', { type: 'datetime-local', value: params.get('from') || '' });
  const to = h('input', { type: 'datetime-local', value: params.get('to') || '' });
  const cat = h('select', h('option', { value: '' }, 'All categories'), CATEGORIES.map((c) => h('option', { value: c, selected: params.get('category') === c }, c)));
  const activity = h('input', { type: 'search', value: params.get('activity') || '', placeholder: 'e.g. Reprocess' });
  const who = h('input', { type: 'search', value: params.get('by') || '', placeholder: 'Token or user name' });
  const custom = h('div.toolbar', field('From', from), field('To', to));
  custom.hidden = range.value !== 'custom';
  add(main, h('div.toolbar', { role: 'search', 'aria-label': 'Audit filters' },
    field('Date range', range), field('Category', cat), h('div.grow', field('Activity starts with', activity)), field('Initiated by', who)), custom);

  const table = dataTable([
    { label: 'Date', render: (e) => h('button.link-btn', { type: 'button', onclick: () => details(e) }, fmtDate(e.activityDateTime, true)) },
    { label: 'Activity', render: (e) => e.activityDisplayName },
    { label: 'Category', render: (e) => e.category },
    { label: 'Result', render: (e) => e.result },
    { label: 'Initiated by', render: (e) => e.initiatedBy?.user?.displayName || e.initiatedBy?.app?.displayName || '—' },
    { label: 'Targets', render: (e) => (e.targetResources || []).map((t) => h('div', `${t.type}: ${t.displayName || t.id}`)) },
  ], { caption: 'Audit events' });
  const out = h('div', table.el);
  add(main, out);

  function filter() {
    const f = [];
    const r = RANGES.find(([k]) => k === range.value);
    if (r[0] === 'custom') {
      if (from.value) f.push(`activityDateTime ge ${new Date(from.value).toISOString()}`);
      if (to.value) f.push(`activityDateTime le ${new Date(to.value).toISOString()}`);
    } else if (r[2] > 0) {
      f.push(`activityDateTime ge ${new Date(Date.now() - r[2] * 864e5).toISOString()}`);
    }
    if (cat.value) f.push(`category eq '${cat.value}'`);
    if (activity.value.trim()) f.push(`startswith(activityDisplayName,'${esc(activity.value.trim())}')`);
    if (who.value.trim()) f.push(`startswith(initiatedBy/user/displayName,'${esc(who.value.trim())}')`);
    return f.join(' and ');
  }
  const pl = pagedList(table, (next) => api.page(next || api.q('/v1.0/auditLogs/directoryAudits', { $filter: filter(), $top: 50, $orderby: 'activityDateTime desc' })),
    { empty: emptyState('No audit events', 'Nothing was recorded with these filters.') });
  add(out, pl.el);
  let timer;
  const changed = () => {
    custom.hidden = range.value !== 'custom';
    setParams({ range: range.value, from: from.value, to: to.value, category: cat.value, activity: activity.value.trim(), by: who.value.trim() });
    clearTimeout(timer);
    timer = setTimeout(() => pl.reload(), 250);
  };
  for (const el of [range, from, to, cat]) el.addEventListener('change', changed);
  for (const el of [activity, who]) el.addEventListener('input', changed);
  pl.reload();
}

function details(e) {
  const d = dialog(e.activityDisplayName, { wide: true });
  add(d.body, kv([
    ['Date', fmtDate(e.activityDateTime, true)], ['Category', e.category], ['Operation', e.operationType],
    ['Result', `${e.result}${e.resultReason ? ` — ${e.resultReason}` : ''}`],
    ['Initiated by', e.initiatedBy?.user ? `${e.initiatedBy.user.displayName} (${e.initiatedBy.user.id})` : e.initiatedBy?.app?.displayName],
    ['Logged by', e.loggedByService], ['Correlation id', h('code', e.correlationId)], ['Event id', h('code', e.id)],
  ]));
  add(d.body, h('h3', 'Targets'));
  for (const t of e.targetResources || []) {
    add(d.body, h('div.panel', h('p', h('strong', `${t.type}: `), t.displayName || '', ' ', h('code.small', t.id)),
      (t.modifiedProperties || []).length ? h('table.data.compact', h('thead', h('tr', h('th', 'Property'), h('th', 'Old value'), h('th', 'New value'))),
        h('tbody', t.modifiedProperties.map((p) => h('tr', h('td', p.displayName), h('td.mono.small', p.oldValue ?? ''), h('td.mono.small', p.newValue ?? ''))))) : h('p.muted', 'No modified properties.')));
  }
  if ((e.additionalDetails || []).length) {
    add(d.body, h('h3', 'Details'), kv(e.additionalDetails.map((x) => [x.key, h('code.small', String(x.value))])));
  }
  add(d.footer, h('button', { type: 'button', onclick: () => d.close() }, 'Close'));
}
