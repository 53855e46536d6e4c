// SPDX-License-Identifier: MIT
// Insights: runs, users and tasks processed per day over 7/14/30 days, by
// category, top workflows and top tasks (the insights functions).

import * as api from '../api.js';
import { h, add, clear, cards, errorBox, loading, emptyState, dataTable, tabs } from '../dom.js';

const INS = `${api.LW}/insights`;
const fn = (name, s, e) => `${INS}/${name}(startDateTime=${s},endDateTime=${e})`;

export async function render(main, parts, params) {
  document.title = 'Insights · lcw admin center';
  const days = [7, 14, 30].includes(Number(params.get('days'))) ? Number(params.get('days')) : 7;
  add(main, h('h1', 'Insights'),
    tabs([7, 14, 30].map((d) => ({ label: `${d} days`, href: `#/insights?days=${d}`, current: d === days })), 'Period'));
  const out = h('div', loading());
  add(main, out);
  const end = new Date();
  const start = new Date(end.getTime() - days * 864e5);
  let total;
  let byCat;
  let topWf;
  let topTasks;
  try {
    [total, byCat, topWf, topTasks] = await Promise.all([
      api.get(fn('workflowsProcessedSummary', start.toISOString(), end.toISOString())),
      api.get(fn('workflowsProcessedByCategory', start.toISOString(), end.toISOString())),
      api.get(fn('topWorkflowsProcessedSummary', start.toISOString(), end.toISOString())),
      api.get(fn('topTasksProcessedSummary', start.toISOString(), end.toISOString())),
    ]);
  } catch (e) {
    add(clear(out), e.status === 404
      ? emptyState('Insights are not available', `This lcwd has no insights functions yet (${e.message}).`)
      : errorBox(e, 'Could not load the insights'));
    return;
  }
  add(clear(out), cards([
    { label: 'Runs', value: total.totalRuns }, { label: 'Failed runs', value: total.failedRuns, tone: total.failedRuns ? 'bad' : null },
    { label: 'Users processed', value: total.totalUsers }, { label: 'Failed users', value: total.failedUsers, tone: total.failedUsers ? 'bad' : null },
    { label: 'Tasks processed', value: total.totalTasks }, { label: 'Failed tasks', value: total.failedTasks, tone: total.failedTasks ? 'bad' : null },
  ], 'Totals'));

  // Per-day charts: one summary call per day (bounded to 30).
  const chartsBox = h('div.grid2');
  add(out, h('h2', 'Per day'), h('div.legend', h('span.l-ok', 'Successful'), h('span.l-bad', 'Failed')), chartsBox);
  const dayStarts = Array.from({ length: days }, (_, i) => {
    const d = new Date(end);
    d.setHours(0, 0, 0, 0);
    d.setDate(d.getDate() - (days - 1 - i));
    return d;
  });
  const perDay = new Array(days);
  let i = 0;
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (i < days) {
      const k = i++;
      const s = dayStarts[k];
      const e = new Date(s.getTime() + 864e5);
      try { perDay[k] = await api.get(fn('workflowsProcessedSummary', s.toISOString(), e.toISOString())); } catch { perDay[k] = null; }
    }
  }));
  for (const [label, okKey, badKey] of [['Runs', 'successfulRuns', 'failedRuns'], ['Users', 'successfulUsers', 'failedUsers'], ['Tasks', 'successfulTasks', 'failedTasks']]) {
    const max = Math.max(1, ...perDay.map((d) => (d ? (d[okKey] || 0) + (d[badKey] || 0) : 0)));
    add(chartsBox, h('section.panel', { 'aria-label': `${label} per day` }, h('h3', `${label} processed`),
      h('div.chart', { role: 'img', 'aria-label': `${label} per day: ${perDay.map((d, k) => `${dayStarts[k].toLocaleDateString()} ${d ? d[okKey] + d[badKey] : 0}`).join(', ')}` },
        perDay.map((d, k) => {
          const ok = d ? d[okKey] || 0 : 0;
          const bad = d ? d[badKey] || 0 : 0;
          return h('div.bar', { title: `${dayStarts[k].toLocaleDateString()}: ${ok} successful, ${bad} failed` },
            h('div.seg-ok', { style: `height:${(ok / max) * 100}%` }), h('div.seg-bad', { style: `height:${(bad / max) * 100}%` }));
        })),
      h('div.muted.small', `${dayStarts[0].toLocaleDateString()} – ${dayStarts[days - 1].toLocaleDateString()}`)));
  }

  const catTotal = (byCat.totalJoinerRuns || 0) + (byCat.totalMoverRuns || 0) + (byCat.totalLeaverRuns || 0);
  add(out, h('h2', 'Workflows by category'), h('div.panel', ['Joiner', 'Mover', 'Leaver'].map((c) => {
    const n = byCat[`total${c}Runs`] || 0;
    const pct = catTotal ? Math.round((n / catTotal) * 100) : 0;
    return h('div.hbar', h('span', `${c} (${n} runs, ${byCat[`failed${c}Runs`] || 0} failed)`),
      h('div.track', { role: 'img', 'aria-label': `${c}: ${pct}%` }, h('div.fill', { style: `width:${pct}%` })), h('span.num', `${pct}%`));
  })));

  const wt = dataTable([
    { label: 'Workflow', render: (w) => h('a', { href: `#/workflows/${w.workflowId}` }, w.workflowDisplayName || w.workflowId) },
    { label: 'Category', render: (w) => w.workflowCategory },
    { label: 'Runs', className: 'num', render: (w) => w.totalRuns },
    { label: 'Failed runs', className: 'num', render: (w) => w.failedRuns },
    { label: 'Users', className: 'num', render: (w) => w.totalUsers },
    { label: 'Failed users', className: 'num', render: (w) => w.failedUsers },
  ], { caption: 'Top workflows' });
  wt.addRows(topWf.value || []);
  const tt = dataTable([
    { label: 'Task', render: (t) => t.taskDefinitionDisplayName || t.taskDefinitionId },
    { label: 'Tasks', className: 'num', render: (t) => t.totalTasks },
    { label: 'Successful', className: 'num', render: (t) => t.successfulTasks },
    { label: 'Failed', className: 'num', render: (t) => t.failedTasks },
    { label: 'Users', className: 'num', render: (t) => t.totalUsers },
  ], { caption: 'Top tasks' });
  tt.addRows(topTasks.value || []);
  add(out, h('h2', 'Top workflows'), (topWf.value || []).length ? wt.el : emptyState('No workflow ran in this period'),
    h('h2', 'Top tasks'), (topTasks.value || []).length ? tt.el : emptyState('No task ran in this period'));
}
