// SPDX-License-Identifier: MIT
// Settings: schedule interval, email settings, history retention, quarantine thresholds.

import * as api from '../api.js';
import { h, add, clear, field, errorBox, loading, showFieldError, clearFieldErrors, toast } from '../dom.js';
import { can } from '../app.js';

const NS = '#microsoft.graph.identityGovernance.';

export async function render(main) {
  document.title = 'Settings · lcw admin center';
  add(main, h('h1', 'Settings'));
  const out = h('div', loading());
  add(main, out);
  let s;
  try {
    s = await api.get(`${api.LW}/settings`);
  } catch (e) {
    add(clear(out), errorBox(e, 'Could not read the settings'));
    return;
  }
  const ro = !can('lcwWrite');
  const conds = s.quarantineConfiguration?.conditions || [];
  const count = conds.find((c) => (c['@odata.type'] || '').endsWith('countBasedQuarantineCondition'));
  const pct = conds.find((c) => (c['@odata.type'] || '').endsWith('percentageBasedQuarantineCondition'));
  const interval = h('input', { type: 'number', min: 1, max: 24, value: s.workflowScheduleIntervalInHours, disabled: ro });
  const domain = h('input', { type: 'text', value: s.emailSettings?.senderDomain || '', disabled: ro, placeholder: 'contoso.example' });
  const branding = h('input', { type: 'checkbox', checked: !!s.emailSettings?.useCompanyBranding, disabled: ro });
  const retention = h('input', { type: 'number', min: 0, max: 36500, value: s.historyRetentionInDays ?? 90, disabled: ro });
  const qCount = h('input', { type: 'number', min: 1, value: count?.threshold ?? '', disabled: ro, placeholder: 'no limit' });
  const qPct = h('input', { type: 'number', min: 1, max: 100, value: pct?.percentage ?? '', disabled: ro, placeholder: 'no limit' });
  const mode = h('select', { disabled: ro }, [['any', 'Quarantine when any threshold is exceeded'], ['all', 'Quarantine only when all are exceeded']].map(([v, l]) =>
    h('option', { value: v, selected: (s.quarantineConfiguration?.matchMode || 'any') === v }, l)));
  const err = h('div');
  const form = h('form.panel', { novalidate: true },
    h('h2', 'Schedule'),
    field('Workflow schedule interval (hours)', interval, { path: 'workflowScheduleIntervalInHours', hint: 'How often scheduled workflows are evaluated: 1 to 24 hours.' }),
    h('h2', 'Email'),
    field('Sender domain', domain, { path: 'emailSettings.senderDomain' }),
    h('div', { 'data-path': 'emailSettings.useCompanyBranding' }, h('label.choice', branding, 'Use company branding in emails')),
    h('h2', 'History'),
    field('Keep run history for (days, 0 = forever)', retention, { path: 'historyRetentionInDays' }),
    h('h2', 'Execution thresholds (quarantine)'),
    h('p.muted', 'A scheduled run that would process more users than this is not started; the workflow is quarantined until an administrator approves execution. On-demand runs and reprocessing are not limited.'),
    h('div.grid2',
      field('Most users per run', qCount, { path: 'quarantineConfiguration.conditions' }),
      field('Most percent of the users in scope', qPct, { path: 'quarantineConfiguration' })),
    field('When', mode, { path: 'quarantineConfiguration.matchMode' }),
    err);
  if (!ro) {
    const save = h('button.primary', { type: 'submit' }, 'Save');
    add(form, h('div.actions', save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      clear(err);
      const conditions = [];
      if (qCount.value) conditions.push({ '@odata.type': `${NS}countBasedQuarantineCondition`, threshold: Number(qCount.value) });
      if (qPct.value) conditions.push({ '@odata.type': `${NS}percentageBasedQuarantineCondition`, percentage: Number(qPct.value) });
      const body = {
        workflowScheduleIntervalInHours: Number(interval.value),
        emailSettings: { senderDomain: domain.value.trim() || null, useCompanyBranding: branding.checked },
        historyRetentionInDays: Number(retention.value),
        quarantineConfiguration: conditions.length ? { matchMode: mode.value, conditions } : null,
      };
      save.disabled = true;
      try {
        await api.patch(`${api.LW}/settings`, body);
        toast('Settings saved');
      } catch (ex) {
        showFieldError(form, ex, err);
      } finally {
        save.disabled = false;
      }
    });
  } else {
    add(form, h('p.muted', 'Your role can read the settings but not change them.'));
  }
  add(clear(out), form);
}
