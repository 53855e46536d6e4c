// SPDX-License-Identifier: MIT
// Workflows: the list (search, category and state filters), and dispatch to
// the wizard, a workflow's pages and its history.

import * as api from '../api.js';
import { h, add, clear, fmtDate, fmtBool, dataTable, emptyState, errorBox, loading, field } from '../dom.js';
import { can, setParams } from '../app.js';

export async function render(main, parts, params, ctx) {
  if (parts[0] === 'new') return (await import('./wizard.js')).render(main, null, params, ctx);
  if (parts.length) return (await import('./workflow.js')).render(main, parts, params, ctx);
  document.title = 'Workflows · lcw admin center';
  add(main, h('div.page-head',
    h('h1', 'Workflows'),
    can('wfWrite') ? h('a.button.primary', { href: '#/workflows/new' }, 'Create workflow') : null));

  const search = h('input', { type: 'search', placeholder: 'Search by name', value: params.get('q') || '' });
  const cat = h('select', ['', 'joiner', 'mover', 'leaver'].map((c) =>
    h('option', { value: c, selected: params.get('category') === c }, c ? c[0].toUpperCase() + c.slice(1) : 'All categories')));
  const state = h('select', [['', 'Any state'], ['enabled', 'Enabled'], ['disabled', 'Disabled'], ['scheduled', 'Scheduling on'], ['unscheduled', 'Scheduling off']].map(([v, t]) =>
    h('option', { value: v, selected: params.get('state') === v }, t)));
  add(main, h('div.toolbar', { role: 'search' },
    h('div.grow', field('Search', search)), field('Category', cat), field('State', state)));
  const out = h('div', loading());
  add(main, out);

  let workflows;
  try {
    workflows = await api.all(api.q(`${api.LW}/workflows`, { $orderby: 'displayName' }), { max: 2000 });
  } catch (e) {
    add(clear(out), errorBox(e, 'Could not list the workflows'));
    return;
  }

  const table = dataTable([
    { label: 'Name', render: (w) => h('div', h('a', { href: `#/workflows/${w.id}` }, w.displayName), w.description ? h('div.muted.small', w.description) : null) },
    { label: 'Category', render: (w) => w.category },
    { label: 'Enabled', render: (w) => fmtBool(w.isEnabled) },
    { label: 'Scheduled', render: (w) => fmtBool(w.isSchedulingEnabled) },
    { label: 'Version', className: 'num', render: (w) => w.version },
    { label: 'Next run', render: (w) => (w.isEnabled && w.isSchedulingEnabled ? fmtDate(w.nextScheduleRunDateTime) : '—') },
    { label: 'Last modified', render: (w) => fmtDate(w.lastModifiedDateTime) },
  ], { caption: 'Workflows' });

  function apply() {
    const text = search.value.trim().toLowerCase();
    const c = cat.value;
    const s = state.value;
    setParams({ q: search.value.trim(), category: c, state: s });
    const shown = workflows.filter((w) =>
      (!text || w.displayName.toLowerCase().includes(text) || (w.description || '').toLowerCase().includes(text)) &&
      (!c || (w.category || '').split(',').includes(c)) &&
      (!s || (s === 'enabled' && w.isEnabled) || (s === 'disabled' && !w.isEnabled) ||
        (s === 'scheduled' && w.isSchedulingEnabled) || (s === 'unscheduled' && !w.isSchedulingEnabled)));
    table.clear();
    table.addRows(shown);
    clear(out);
    if (!workflows.length) {
      add(out, emptyState('No workflows yet',
        'A workflow runs tasks for users who join, move within or leave the organisation.',
        can('wfWrite') ? h('a.button.primary', { href: '#/workflows/new' }, 'Create workflow') : null));
    } else if (!shown.length) {
      add(out, emptyState('No workflow matches', 'Change the search or the filters.'));
    } else {
      add(out, table.el, h('p.muted.small', `${shown.length} of ${workflows.length} workflows`));
    }
  }
  search.addEventListener('input', apply);
  cat.addEventListener('change', apply);
  state.addEventListener('change', apply);
  apply();
}
