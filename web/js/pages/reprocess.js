// SPDX-License-Identifier: MIT
// The Reprocess dialog: choose the task scope (and, for a run, the user
// scope), see the plan from planActivation, Confirm, then follow the new run
// live until it ends. Also "Cancel run".

import * as api from '../api.js';
import { h, add, clear, dialog, errorBox, loading, badge, FINAL, toast, confirmDialog, dataTable } from '../dom.js';

const NS = '#microsoft.graph.identityGovernance.';

/** Poll a run until it is final; onUpdate(run) after each read. Resolves the final run. */
export async function followRun(wfId, runId, onUpdate, alive = () => true) {
  let delay = 500;
  for (;;) {
    const run = await api.get(`${api.LW}/workflows/${wfId}/runs/${runId}`);
    if (!alive()) return run;
    onUpdate(run);
    if (FINAL.includes(run.processingStatus)) return run;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 1.5, 3000);
  }
}

/** A one-line live summary of a run, for the dialog and the run page. */
export function runProgress(run) {
  const done = (run.successfulUsersCount || 0) + (run.failedUsersCount || 0);
  const total = run.totalUsersCount || 0;
  return h('div', h('p', badge(run.processingStatus), ` ${done} of ${total} user${total === 1 ? '' : 's'} processed · `,
    `${run.failedUsersCount || 0} failed · ${run.totalTasksCount || 0} tasks, ${run.failedTasksCount || 0} failed, ${run.totalUnprocessedTasksCount || 0} not yet processed`),
  h('progress', { max: Math.max(total, 1), value: done, 'aria-label': 'Users processed' }));
}

/**
 * Open the dialog. target:
 *   {kind: 'results', results: [userProcessingResult], label(id) -> name}
 *   {kind: 'run', run}
 *   {kind: 'query', filter, description}
 * onDone(newRun) runs when the new run ends.
 */
export function openReprocess(wf, target, { onDone } = {}) {
  let alive = true;
  const title = target.kind === 'run' ? 'Reprocess run' : target.kind === 'query' ? 'Reprocess all failed' : `Reprocess ${target.results.length} user${target.results.length === 1 ? '' : 's'}`;
  const d = dialog(title, { wide: true, onClose: () => { alive = false; } });
  const state = { taskScope: 'failedTasks', userScope: 'failedUsers' };

  const radios = (name, legend, options) => h('fieldset', h('legend', legend),
    options.map(([v, label, hint]) => {
      const r = h('input', { type: 'radio', name, value: v, checked: state[name] === v });
      r.addEventListener('change', () => { if (r.checked) { state[name] = v; plan(); } });
      return h('label.choice', r, h('span', label, hint ? h('span.muted.small', ` — ${hint}`) : null));
    }));

  const what = target.kind === 'run'
    ? h('p', 'Run of ', h('strong', new Date(target.run.scheduledDateTime).toLocaleString()), ' ', badge(target.run.processingStatus),
      ` · ${target.run.totalUsersCount} users, ${target.run.failedUsersCount} failed`)
    : target.kind === 'query'
      ? h('p', target.description)
      : h('p', 'Users: ', target.results.map((r, i) => [i ? ', ' : '', h('strong', target.label(r.subject.id))]));
  const planBox = h('div.plan', { 'aria-live': 'polite' });
  const confirm = h('button.primary', { type: 'button', disabled: true }, 'Confirm');
  const cancel = h('button', { type: 'button', onclick: () => d.close() }, 'Cancel');
  add(d.body, what,
    h('div.grid2',
      radios('taskScope', 'Task scope', [['failedTasks', 'Failed tasks', 'the tasks that failed and the ones they stopped'], ['allTasks', 'All tasks', 'every enabled task again']]),
      target.kind === 'run' ? radios('userScope', 'User scope', [['failedUsers', 'Failed users'], ['allUsers', 'All users']]) : null),
    h('h3', 'Plan'), planBox);
  add(d.footer, cancel, confirm);

  function scope() {
    if (target.kind === 'run') {
      return { '@odata.type': `${NS}activateRunScope`, run: { id: target.run.id }, userScope: state.userScope, taskScope: state.taskScope };
    }
    if (target.kind === 'query') return { '@odata.type': '#lcw.activateQueryScope', filter: target.filter, taskScope: state.taskScope };
    return { '@odata.type': `${NS}activateProcessingResultScope`, processingResults: target.results.map((r) => ({ id: r.id })), taskScope: state.taskScope };
  }

  let planSeq = 0;
  async function plan() {
    const mine = ++planSeq;
    confirm.disabled = true;
    add(clear(planBox), loading('Working out which users and tasks would run…'));
    try {
      const r = await api.post(`${api.LW}/workflows/${wf.id}/planActivation`, { scope: scope() });
      if (mine !== planSeq || !alive) return;
      const p = r.json;
      const name = await api.userNames(p.value.map((e) => e.subject.id));
      const t = dataTable([
        { label: 'User', render: (e) => name(e.subject.id)?.displayName || e.subject.id },
        { label: 'Tasks to run', render: (e) => h('ol.compact-list', e.tasks.map((x) => h('li', x.displayName,
          x.skippedBecauseSucceededIn ? h('span.muted', ' (skipped: succeeded before)') : null))) },
      ], { compact: true, caption: 'Users and tasks that would run' });
      t.addRows(p.value);
      add(clear(planBox), 
        h('p.plan-summary', h('strong', `${p.totalUsers} user${p.totalUsers === 1 ? '' : 's'}`), ' and ', h('strong', `${p.totalTasks} task${p.totalTasks === 1 ? '' : 's'}`),
          ` will run, with version ${p.workflowVersion ?? wf.version} of the workflow.`),
        p.totalUsers ? t.el : h('p.muted', 'Nothing to run with this scope.'));
      confirm.disabled = !p.totalUsers;
    } catch (e) {
      if (mine !== planSeq) return;
      add(clear(planBox), errorBox(e, 'This reprocess cannot run'));
    }
  }

  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    for (const i of d.body.querySelectorAll('input')) i.disabled = true;
    try {
      const r = await api.post(`${api.LW}/workflows/${wf.id}/activateWithScope`, { scope: scope() });
      const runId = (r.headers.get('Location') || '').split('/runs/')[1];
      const live = h('div.follow', { 'aria-live': 'polite' });
      const openLink = h('a.button', { href: `#/workflows/${wf.id}/runs/${runId}` }, 'Open the new run');
      openLink.addEventListener('click', () => d.close());
      add(clear(planBox), h('p', 'Reprocess started: new run ', h('a', { href: `#/workflows/${wf.id}/runs/${runId}`, onclick: () => d.close() }, h('code', runId)), '.'), live);
      add(clear(d.footer), openLink, h('button', { type: 'button', onclick: () => d.close() }, 'Close'));
      toast('Reprocess started');
      const final = await followRun(wf.id, runId, (run) => add(clear(live), runProgress(run)), () => alive);
      if (alive) add(live, h('p', { role: 'status' }, h('strong', `The new run ended: ${final.processingStatus}.`)));
      if (onDone) onDone(final);
    } catch (e) {
      add(clear(planBox), errorBox(e, 'The reprocess was not started'));
      for (const i of d.body.querySelectorAll('input')) i.disabled = false;
      confirm.disabled = false;
    }
  });
  plan();
  return d;
}

/** "Cancel run": confirm, then cancelProcessing for that one run. */
export async function cancelRun(wf, run) {
  const ok = await confirmDialog('Cancel run',
    `Cancel the run of ${new Date(run.scheduledDateTime).toLocaleString()}? Users not processed yet are canceled; completed work is not rolled back.`,
    'Cancel run', true);
  if (!ok) return false;
  try {
    await api.post(`${api.LW}/workflows/${wf.id}/cancelProcessing`, { scope: { '@odata.type': `${NS}cancelRunsScope`, runs: [{ id: run.id }] } });
    toast('Cancel requested');
    return true;
  } catch (e) {
    toast(e.message, 'error');
    return false;
  }
}
