// SPDX-License-Identifier: MIT
// "Create workflow": template -> basics -> execution conditions -> tasks ->
// review -> create. The same steps (without the template) edit a workflow
// as a new version (createNewVersion).

import * as api from '../api.js';
import { h, add, clear, field, errorBox, loading, showFieldError, clearFieldErrors, kv, fmtBool, toast } from '../dom.js';

const NS = '#microsoft.graph.identityGovernance.';
const TRIGGERS = [
  ['timeBasedAttributeTrigger', 'Time-based attribute'],
  ['attributeChangeTrigger', 'Attribute changes'],
  ['membershipChangeTrigger', 'Group membership change'],
  ['onDemand', 'On-demand only'],
];
const TIME_ATTRS = [['employeeHireDate', 'Employee hire date'], ['employeeLeaveDateTime', 'Employee leave date'], ['createdDateTime', 'Created date']];
const typeOf = (o) => (o?.['@odata.type'] || '').split('.').pop();

/** Clean a task (from a template or a workflow) into what create accepts. */
function cleanTask(t) {
  return {
    displayName: t.displayName,
    description: t.description || '',
    taskDefinitionId: t.taskDefinitionId,
    isEnabled: t.isEnabled !== false,
    continueOnError: !!t.continueOnError,
    arguments: (t.arguments || []).map((a) => ({ name: a.name, value: a.value })),
  };
}

function draftFrom(src) {
  return {
    displayName: src.displayName || '',
    description: src.description || '',
    category: src.category || 'joiner',
    isEnabled: src.isEnabled !== undefined ? src.isEnabled : true,
    isSchedulingEnabled: !!src.isSchedulingEnabled,
    executionConditions: structuredClone(src.executionConditions || { '@odata.type': `${NS}onDemandExecutionOnly` }),
    tasks: (src.tasks || []).map(cleanTask),
  };
}

/**
 * Render the wizard into `main`. `existing` = the workflow (with tasks) for
 * a new version, or null to create.
 */
export async function render(main, existing, params) {
  const editing = !!existing;
  document.title = `${editing ? 'New version' : 'Create workflow'} · lcw admin center`;
  add(main, h('div.crumbs', h('a', { href: '#/workflows' }, 'Workflows'),
    editing ? [' / ', h('a', { href: `#/workflows/${existing.id}` }, existing.displayName)] : null));
  add(main, h('h1', editing ? `Edit ${existing.displayName}` : 'Create workflow'));
  const body = h('div', loading());
  add(main, body);

  let templates = [];
  let catalogue = [];
  try {
    [templates, catalogue] = await Promise.all([
      editing ? [] : api.all(`${api.LW}/workflowTemplates`),
      api.all(`${api.LW}/taskDefinitions`),
    ]);
  } catch (e) {
    add(clear(body), errorBox(e, 'Could not load the templates and the task catalogue'));
    return;
  }
  const defs = new Map(catalogue.map((d) => [d.id.toLowerCase(), d]));
  const STEPS = editing ? ['Basics', 'Execution conditions', 'Tasks', 'Review'] : ['Template', 'Basics', 'Execution conditions', 'Tasks', 'Review'];
  let step = 0;
  let template = null;
  let draft = editing ? draftFrom(existing) : null;
  const pre = params?.get('template');
  if (!editing && pre) {
    template = templates.find((t) => t.id === pre) || null;
    if (template) { draft = draftFrom(template); step = 1; }
  }

  const stepList = h('ol.steps', { 'aria-label': 'Steps' });
  const content = h('form.panel', { novalidate: true });
  const nav = h('div.actions');
  const formError = h('div');
  add(clear(body), stepList, content, formError, nav);
  content.addEventListener('submit', (e) => e.preventDefault());

  function show(n) {
    step = n;
    add(clear(stepList), STEPS.map((s, i) => h('li', { 'aria-current': i === step ? 'step' : null, class: i < step ? 'done' : null }, s)));
    clear(content);
    clear(formError);
    clear(nav);
    const name = STEPS[step];
    if (name === 'Template') templateStep();
    else if (name === 'Basics') basicsStep();
    else if (name === 'Execution conditions') conditionsStep();
    else if (name === 'Tasks') tasksStep();
    else reviewStep();
    const back = h('button', { type: 'button', disabled: step === 0, onclick: () => show(step - 1) }, 'Back');
    const cancel = h('a.button', { href: editing ? `#/workflows/${existing.id}` : '#/workflows' }, 'Cancel');
    add(nav, back, h('span.spacer'), cancel);
    if (name !== 'Review') {
      add(nav, h('button.primary', {
        type: 'button',
        disabled: name === 'Template' && !template,
        onclick: () => { if (validateStep()) show(step + 1); },
      }, 'Next'));
    } else {
      add(nav, h('button.primary', { type: 'button', onclick: submit }, editing ? 'Create new version' : 'Create workflow'));
    }
    const first = content.querySelector('h2');
    if (first) { first.tabIndex = -1; first.focus(); }
  }

  function validateStep() {
    clearFieldErrors(content);
    const name = STEPS[step];
    if (name === 'Basics' && !draft.displayName.trim()) {
      showFieldError(content, { message: 'displayName: a workflow needs a name' });
      return false;
    }
    if (name === 'Tasks' && !draft.tasks.length) {
      showFieldError(content, { message: 'tasks: add at least one task' });
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- steps

  function templateStep() {
    add(content, h('h2', 'Choose a template'),
      h('p.muted', 'A template fills in the execution conditions and the tasks; you can change all of them in the next steps.'));
    for (const cat of ['joiner', 'mover', 'leaver']) {
      const list = templates.filter((t) => t.category === cat);
      if (!list.length) continue;
      add(content, h('h3', cat[0].toUpperCase() + cat.slice(1)),
        h('div.template-list', list.map((t) => h('button.template', {
          type: 'button',
          'aria-pressed': template?.id === t.id ? 'true' : 'false',
          onclick: () => { template = t; draft = draftFrom(t); show(1); },
        }, h('strong', t.displayName), h('div.muted.small', t.description || '')))));
    }
  }

  function basicsStep() {
    const name = h('input', { type: 'text', value: draft.displayName, maxlength: 200 });
    name.addEventListener('input', () => { draft.displayName = name.value; });
    const desc = h('textarea', { value: draft.description });
    desc.value = draft.description;
    desc.addEventListener('input', () => { draft.description = desc.value; });
    const cat = h('select', ['joiner', 'mover', 'leaver'].map((c) => h('option', { value: c, selected: draft.category === c }, c)));
    cat.addEventListener('change', () => { draft.category = cat.value; });
    const en = h('input', { type: 'checkbox', checked: draft.isEnabled });
    en.addEventListener('change', () => { draft.isEnabled = en.checked; });
    const sch = h('input', { type: 'checkbox', checked: draft.isSchedulingEnabled });
    sch.addEventListener('change', () => { draft.isSchedulingEnabled = sch.checked; });
    add(content, h('h2', 'Basics'),
      template ? h('p.muted', 'From template: ', h('strong', template.displayName)) : null,
      field('Name', name, { path: 'displayName' }),
      field('Description', desc, { path: 'description' }),
      field('Category', cat, { path: 'category', hint: editing ? 'The category cannot change after creation.' : null }),
      h('div', { 'data-path': 'isEnabled' }, h('label.choice', en, 'Enabled (can run)')),
      h('div', { 'data-path': 'isSchedulingEnabled' }, h('label.choice', sch, 'Scheduling enabled (evaluate the execution conditions on the schedule)')));
    if (editing) cat.disabled = true;
  }

  function conditionsStep() {
    const ec = draft.executionConditions;
    const isOnDemand = typeOf(ec) === 'onDemandExecutionOnly';
    const trig = isOnDemand ? 'onDemand' : typeOf(ec.trigger);
    const known = TRIGGERS.some(([t]) => t === trig);
    add(content, h('h2', 'Execution conditions'));
    const trigSel = h('select', TRIGGERS.map(([v, t]) => h('option', { value: v, selected: v === trig }, t)));
    const trigBox = h('div');
    const scopeBox = h('div');
    add(content, field('Trigger', trigSel, { path: 'executionConditions.trigger' }), trigBox, scopeBox);
    if (!known) add(content, h('p.warning', `This trigger (${trig}) cannot be edited here; it is kept as it is.`));

    function ensureScoped() {
      if (typeOf(draft.executionConditions) !== 'triggerAndScopeBasedConditions') {
        draft.executionConditions = {
          '@odata.type': `${NS}triggerAndScopeBasedConditions`,
          scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "department eq 'Sales'" },
          trigger: { '@odata.type': `${NS}timeBasedAttributeTrigger`, timeBasedAttribute: 'employeeHireDate', offsetInDays: 0 },
        };
      }
      return draft.executionConditions;
    }

    function drawTrigger() {
      clear(trigBox);
      clear(scopeBox);
      const t = trigSel.value;
      if (t === 'onDemand') {
        draft.executionConditions = { '@odata.type': `${NS}onDemandExecutionOnly` };
        add(trigBox, h('p.muted', 'The workflow runs only when someone runs it on demand.'));
        return;
      }
      const c = ensureScoped();
      if (typeOf(c.trigger) !== t) {
        if (t === 'timeBasedAttributeTrigger') c.trigger = { '@odata.type': NS + t, timeBasedAttribute: 'employeeHireDate', offsetInDays: 0 };
        if (t === 'attributeChangeTrigger') c.trigger = { '@odata.type': NS + t, triggerAttributes: [{ name: 'department' }] };
        if (t === 'membershipChangeTrigger') c.trigger = { '@odata.type': NS + t, changeType: 'add' };
      }
      if (t === 'timeBasedAttributeTrigger') {
        const attr = h('select', TIME_ATTRS.map(([v, l]) => h('option', { value: v, selected: c.trigger.timeBasedAttribute === v }, l)));
        attr.addEventListener('change', () => { c.trigger.timeBasedAttribute = attr.value; });
        const off = h('input', { type: 'number', min: -180, max: 180, step: 1, value: c.trigger.offsetInDays ?? 0 });
        off.addEventListener('input', () => { c.trigger.offsetInDays = Number(off.value); });
        add(trigBox, h('div.grid2',
          field('Attribute', attr, { path: 'executionConditions.trigger.timeBasedAttribute' }),
          field('Days from the date (−180 to 180)', off, { path: 'executionConditions.trigger.offsetInDays', hint: 'Negative: before the date; 0: on the day.' })));
      } else if (t === 'attributeChangeTrigger') {
        const attrs = h('input', { type: 'text', value: (c.trigger.triggerAttributes || []).map((a) => a.name).join(', ') });
        attrs.addEventListener('input', () => {
          c.trigger.triggerAttributes = attrs.value.split(',').map((s) => s.trim()).filter(Boolean).map((name) => ({ name }));
        });
        add(trigBox, field('Attributes that trigger the workflow', attrs, { path: 'executionConditions.trigger.triggerAttributes', hint: 'Comma-separated user properties, e.g. department, jobTitle.' }));
      } else if (t === 'membershipChangeTrigger') {
        const ct = h('select', [['add', 'Added to a group'], ['remove', 'Removed from a group']].map(([v, l]) => h('option', { value: v, selected: c.trigger.changeType === v }, l)));
        ct.addEventListener('change', () => { c.trigger.changeType = ct.value; });
        add(trigBox, field('Change', ct, { path: 'executionConditions.trigger.changeType' }));
      }
      drawScope(c);
    }

    function drawScope(c) {
      clear(scopeBox);
      const kind = typeOf(c.scope);
      const kindSel = h('select', [['ruleBasedSubjectSet', 'Users matching a rule'], ['groupBasedSubjectSet', 'Members of groups']].map(([v, l]) => h('option', { value: v, selected: v === kind }, l)));
      kindSel.addEventListener('change', () => {
        c.scope = kindSel.value === 'ruleBasedSubjectSet'
          ? { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "department eq 'Sales'" }
          : { '@odata.type': `${NS}groupBasedSubjectSet`, groups: [] };
        drawScope(c);
      });
      add(scopeBox, field('Scope', kindSel, { path: 'executionConditions.scope' }));
      if (kind === 'ruleBasedSubjectSet') {
        const rule = h('textarea', { spellcheck: 'false' });
        rule.value = c.scope.rule || '';
        const result = h('div', { 'aria-live': 'polite' });
        let timer;
        const check = async () => {
          add(clear(result), loading('Checking the rule…'));
          try {
            const p = await api.page(api.q('/v1.0/users', { $filter: rule.value, $count: 'true', $top: 5, $select: 'id,displayName' }));
            add(clear(result), h('p.info', `Valid rule: ${p.count ?? p.items.length} user${(p.count ?? p.items.length) === 1 ? '' : 's'} match today`,
              p.items.length ? ` (${p.items.map((u) => u.displayName).join(', ')}${(p.count || 0) > p.items.length ? ', …' : ''})` : ''));
          } catch (e) {
            add(clear(result), errorBox(e, 'The rule'));
          }
        };
        rule.addEventListener('input', () => {
          c.scope.rule = rule.value;
          clearTimeout(timer);
          timer = setTimeout(check, 500);
        });
        add(scopeBox, field('Rule', rule, { path: 'executionConditions.scope.rule', hint: "An OData filter over users, e.g. department eq 'Marketing' and employeeType eq 'Employee'." }),
          h('button', { type: 'button', onclick: check }, 'Check rule'), result);
        check();
      } else {
        add(scopeBox, groupPicker(c.scope));
      }
    }
    trigSel.addEventListener('change', drawTrigger);
    if (known) drawTrigger();
  }

  function groupPicker(scope) {
    scope.groups = scope.groups || [];
    const box = h('div', { 'data-path': 'executionConditions.scope.groups' });
    const chips = h('div.chips');
    const input = h('input', { type: 'search', placeholder: 'Search groups by name' });
    const results = h('ul.picker-results');
    results.hidden = true;
    const names = new Map();
    const drawChips = () => {
      add(clear(chips), scope.groups.map((g) => h('span.chip', names.get(g.id) || g.id,
        h('button', { type: 'button', 'aria-label': `Remove group ${names.get(g.id) || g.id}`, onclick: () => { scope.groups = scope.groups.filter((x) => x.id !== g.id); drawChips(); } }, '×'))));
    };
    if (scope.groups.length) {
      api.all(api.q('/v1.0/groups', { $filter: `id in (${scope.groups.map((g) => `'${g.id}'`).join(',')})`, $select: 'id,displayName' }))
        .then((gs) => { for (const g of gs) names.set(g.id, g.displayName); drawChips(); }).catch(() => {});
    }
    let timer;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const t = input.value.trim().replace(/'/g, "''");
        try {
          const gs = await api.all(api.q('/v1.0/groups', { $filter: t ? `startswith(displayName,'${t}')` : undefined, $select: 'id,displayName', $top: 10 }), { max: 10 });
          add(clear(results), gs.map((g) => h('li', g.displayName,
            h('button', { type: 'button', onclick: () => { names.set(g.id, g.displayName); if (!scope.groups.some((x) => x.id === g.id)) scope.groups.push({ id: g.id }); drawChips(); } }, 'Add'))));
          results.hidden = !gs.length;
        } catch (e) {
          add(clear(results), h('li', errorBox(e)));
          results.hidden = false;
        }
      }, 250);
    });
    drawChips();
    add(box, field('Groups', input), results, chips);
    return box;
  }

  function tasksStep() {
    add(content, h('h2', 'Tasks'), h('p.muted', 'Tasks run in this order for each user. A failing task without "Continue on error" stops the tasks after it.'));
    const list = h('div', { 'data-path': 'tasks' });
    add(content, list);
    const draw = () => {
      clear(list);
      if (!draft.tasks.length) add(list, h('p.empty', 'No tasks yet. Add one from the catalogue below.'));
      draft.tasks.forEach((t, i) => add(list, taskRow(t, i, draw)));
    };
    const fitting = catalogue.filter((d) => (d.category || '').split(',').includes(draft.category));
    const addSel = h('select', fitting.map((d) => h('option', { value: d.id }, d.displayName)));
    const addBtn = h('button', {
      type: 'button',
      onclick: () => {
        const d = defs.get(addSel.value.toLowerCase());
        draft.tasks.push({ displayName: d.displayName, description: d.description || '', taskDefinitionId: d.id, isEnabled: true, continueOnError: false, arguments: [] });
        draw();
        list.lastElementChild?.querySelector('input')?.focus();
      },
    }, 'Add task');
    add(content, h('div.toolbar', h('div.grow', field('Add from the catalogue', addSel)), addBtn));
    draw();
  }

  function taskRow(t, i, redraw) {
    const def = defs.get((t.taskDefinitionId || '').toLowerCase());
    const name = h('input', { type: 'text', value: t.displayName, 'aria-label': `Task ${i + 1} name` });
    name.addEventListener('input', () => { t.displayName = name.value; });
    const en = h('input', { type: 'checkbox', checked: t.isEnabled });
    en.addEventListener('change', () => { t.isEnabled = en.checked; row.classList.toggle('disabled-task', !en.checked); });
    const coe = h('input', { type: 'checkbox', checked: t.continueOnError });
    coe.addEventListener('change', () => { t.continueOnError = coe.checked; });
    const move = (d) => {
      const j = i + d;
      [draft.tasks[i], draft.tasks[j]] = [draft.tasks[j], draft.tasks[i]];
      redraw();
      content.querySelectorAll('.task-row')[j]?.querySelector(`button[data-move="${d}"]`)?.focus();
    };
    const tools = h('div.task-tools',
      h('button', { type: 'button', 'data-move': '-1', 'aria-label': `Move ${t.displayName} up`, title: 'Move up', disabled: i === 0, onclick: () => move(-1) }, '↑'),
      h('button', { type: 'button', 'data-move': '1', 'aria-label': `Move ${t.displayName} down`, title: 'Move down', disabled: i === draft.tasks.length - 1, onclick: () => move(1) }, '↓'),
      h('button.danger', { type: 'button', 'aria-label': `Remove ${t.displayName}`, title: 'Remove', onclick: () => { draft.tasks.splice(i, 1); redraw(); } }, '✕'));
    const args = h('div.args');
    for (const p of def?.parameters || []) {
      const cur = t.arguments.find((a) => a.name === p.name);
      let ctl;
      if (p.values && p.values.length) {
        ctl = h('select', h('option', { value: '' }, '(not set)'), p.values.map((v) => h('option', { value: v, selected: cur?.value === v }, v)));
      } else {
        ctl = h('input', { type: 'text', value: cur?.value || '' });
      }
      ctl.addEventListener(ctl.tagName === 'SELECT' ? 'change' : 'input', () => {
        t.arguments = t.arguments.filter((a) => a.name !== p.name);
        if (ctl.value !== '') t.arguments.push({ name: p.name, value: ctl.value });
      });
      add(args, field(p.name, ctl, { hint: p.values?.length ? `Allowed: ${p.values.join(', ')}` : null }));
    }
    const row = h(`div.task-row${t.isEnabled ? '' : '.disabled-task'}`, { 'data-path': `tasks[${i}]` },
      h('div',
        h('div.field', h('label', { for: `task-${i}` }, `${i + 1}. `, def ? def.displayName : t.taskDefinitionId), Object.assign(name, { id: `task-${i}` })),
        h('label.choice', en, 'Enabled'),
        h('label.choice', coe, 'Continue on error')),
      tools,
      args.childNodes.length ? h('details.args', h('summary', `Arguments (${(def?.parameters || []).length})`), args) : null);
    return row;
  }

  function reviewStep() {
    const ec = draft.executionConditions;
    const trig = typeOf(ec) === 'onDemandExecutionOnly' ? 'On-demand only' : describeTrigger(ec.trigger);
    const scope = typeOf(ec) === 'onDemandExecutionOnly' ? '—' : describeScope(ec.scope);
    add(content, h('h2', 'Review'),
      kv([
        ['Name', draft.displayName],
        ['Description', draft.description || '—'],
        ['Category', draft.category],
        ['Enabled', fmtBool(draft.isEnabled)],
        ['Scheduling enabled', fmtBool(draft.isSchedulingEnabled)],
        ['Trigger', trig],
        ['Scope', scope],
      ]),
      h('h3', `Tasks (${draft.tasks.length})`),
      h('ol', draft.tasks.map((t) => h('li', t.displayName, t.isEnabled ? '' : ' (disabled)', t.continueOnError ? ' — continues on error' : '',
        t.arguments.length ? h('span.muted', ` — ${t.arguments.map((a) => `${a.name}=${a.value}`).join(', ')}`) : ''))));
  }

  async function submit(e) {
    const btn = e.currentTarget;
    btn.disabled = true;
    clear(formError);
    const body = {
      displayName: draft.displayName.trim(),
      description: draft.description,
      isEnabled: draft.isEnabled,
      isSchedulingEnabled: draft.isSchedulingEnabled,
      executionConditions: draft.executionConditions,
      tasks: draft.tasks,
    };
    try {
      let id;
      if (editing) {
        const r = await api.post(`${api.LW}/workflows/${existing.id}/createNewVersion`, { workflow: body });
        id = existing.id;
        toast(`New version ${r.json?.version ?? ''} created`);
      } else {
        body.category = draft.category;
        const r = await api.post(`${api.LW}/workflows`, body);
        id = r.json.id;
        toast('Workflow created');
      }
      location.hash = `#/workflows/${id}`;
    } catch (err) {
      btn.disabled = false;
      // Take the user to the step the API complained about, and put the message there.
      const path = (/^([\w.[\]]+):\s/.exec(err.message)?.[1] || '').replace(/^workflow\./, '');
      const target = path.startsWith('tasks') ? 'Tasks' : path.startsWith('executionConditions') ? 'Execution conditions'
        : /^(displayName|description|category|isEnabled|isSchedulingEnabled)/.test(path) ? 'Basics' : null;
      if (target) {
        show(STEPS.indexOf(target));
        showFieldError(content, err);
      } else {
        add(formError, errorBox(err, editing ? 'The new version was not created' : 'The workflow was not created'));
      }
    }
  }

  if (draft) show(step); else show(0);
}

export function describeTrigger(t) {
  if (!t) return '—';
  switch (typeOf(t)) {
    case 'timeBasedAttributeTrigger': {
      const n = t.offsetInDays || 0;
      const when = n === 0 ? 'on' : n < 0 ? `${-n} day${n === -1 ? '' : 's'} before` : `${n} day${n === 1 ? '' : 's'} after`;
      return `${when} ${t.timeBasedAttribute}`;
    }
    case 'attributeChangeTrigger': return `when ${(t.triggerAttributes || []).map((a) => a.name).join(', ')} change${(t.triggerAttributes || []).length === 1 ? 's' : ''}`;
    case 'membershipChangeTrigger': return t.changeType === 'remove' ? 'when removed from a scope group' : 'when added to a scope group';
    default: return typeOf(t);
  }
}

export function describeScope(s) {
  if (!s) return '—';
  if (typeOf(s) === 'ruleBasedSubjectSet') return h('code', s.rule);
  if (typeOf(s) === 'groupBasedSubjectSet') return `members of ${(s.groups || []).length} group(s): ${(s.groups || []).map((g) => g.displayName || g.id).join(', ')}`;
  return typeOf(s);
}
