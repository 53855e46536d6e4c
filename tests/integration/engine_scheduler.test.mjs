// SPDX-License-Identifier: MIT
// The scheduler (issue 3 "Scheduling, triggers, scopes"; product A.3, A.4.4;
// spec 3.6, 3.16, 5.1 executionScope/clearQuarantine): time-based triggers
// with a rule or group scope (window, catch-up, once per value,
// re-qualification, offsetInDays), isSchedulingEnabled,
// nextScheduleRunDateTime, attribute and membership change triggers,
// executionScope, and quarantine (per workflow and tenant-wide) with
// clearQuarantine.
//
// lcwd runs with LCW_SCHEDULE_INTERVAL_SECONDS=1. Every test uses its own
// department (or group) so that scopes never overlap, and turns scheduling
// off for its workflows at the end. "N more evaluations" is observed on a
// workflow's nextScheduleRunDateTime, which every evaluation moves.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, LW, expectStatus, expectGraphError, isRfc3339, collectAll } from './lib/lcwd.mjs';
import { TD, task, joinerWorkflow, leaverWorkflow, moverWorkflow, ruleScope, timeTrigger } from './lib/fixtures.mjs';
import {
  WFS, NS, ENUMS, SANITIZE_FACTOR, createUser, getUser, patchUser, createGroup, addMember, memberOf, createWorkflow,
  listRuns, waitRunFinal, runHistory, assertCountersMatch, activate, waitFor, tag,
} from './lib/engine.mjs';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const SCHED_TIMEOUT_MS = 20000 * SANITIZE_FACTOR;

function scheduledJoiner(dept, tasks, overrides = {}) {
  return joinerWorkflow({
    isSchedulingEnabled: true,
    executionConditions: {
      '@odata.type': NS + 'triggerAndScopeBasedConditions',
      scope: ruleScope(`department eq '${dept}'`),
      trigger: timeTrigger('employeeHireDate', 0),
    },
    tasks,
    ...overrides,
  });
}

describe('engine: scheduler', () => {
  let d;
  let clock; // a scheduled workflow whose scope matches nobody: its evaluations are our clock
  const mine = []; // workflows to turn off at the end of each test

  async function getWf(id, headers) {
    const r = await d.api('GET', `${WFS}/${id}`, { headers });
    expectStatus(r, 200, `GET workflow ${id}`);
    return r.json;
  }

  /** Wait until the scheduler has evaluated workflow `id` `n` more times. */
  async function evaluations(n, id = clock.id) {
    let last = (await getWf(id)).nextScheduleRunDateTime;
    for (let i = 0; i < n; i++) {
      await waitFor(async () => {
        const now = (await getWf(id)).nextScheduleRunDateTime;
        if (now && now !== last) { last = now; return true; }
        return false;
      }, { timeoutMs: SCHED_TIMEOUT_MS, intervalMs: 100, what: `evaluation ${i + 1} of ${n} of workflow ${id}` });
    }
  }

  async function scheduled(body) {
    const wf = await createWorkflow(d, body);
    mine.push(wf.id);
    return wf;
  }

  async function waitRuns(wfId, n, what) {
    return waitFor(async () => {
      const runs = await listRuns(d, wfId);
      return runs.length >= n ? runs : null;
    }, { timeoutMs: SCHED_TIMEOUT_MS, intervalMs: 200, what: what || `${n} run(s) of workflow ${wfId}` });
  }

  async function subjectsOf(wfId, runId) {
    const items = (await collectAll(d, `${WFS}/${wfId}/runs/${runId}/userProcessingResults`)).items;
    return items.map((u) => u.subject.id).sort();
  }

  before(async () => {
    d = await startLcwd({ env: { LCW_SCHEDULE_INTERVAL_SECONDS: '1' } });
    clock = await createWorkflow(d, scheduledJoiner(tag('nobody-'), [task(TD.enableAccount, 'Enable')]));
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });
  // Leave nothing scheduled behind for the next test.
  async function cleanup() {
    while (mine.length) {
      const id = mine.pop();
      await d.api('PATCH', `${WFS}/${id}`, { body: { isSchedulingEnabled: false } });
    }
  }

  test('time-based trigger + rule scope: users in the window get one scheduled run; once per value; re-qualification; catch-up window', async () => {
    const dept = tag('Eng');
    const now = Date.now();
    const g = await createGroup(d);
    const in1 = await createUser(d, { department: dept, employeeHireDate: iso(now - HOUR) });
    const in2 = await createUser(d, { department: dept, employeeHireDate: iso(now - 2 * DAY) });
    const old = await createUser(d, { department: dept, employeeHireDate: iso(now - 5 * DAY) });
    const future = await createUser(d, { department: dept, employeeHireDate: iso(now + 2 * DAY) });
    const noDate = await createUser(d, { department: dept });
    const other = await createUser(d, { department: `${dept}-other`, employeeHireDate: iso(now - HOUR) });
    const lower = await createUser(d, { department: dept.toLowerCase() === dept ? dept.toUpperCase() : dept.toLowerCase(), employeeHireDate: iso(now - HOUR) });

    const wf = await scheduled(scheduledJoiner(dept, [task(TD.addToGroups, 'Add to group', [{ name: 'groupID', value: g.id }])]));
    const runs = await waitRuns(wf.id, 1, 'the first scheduled run');
    const runId = runs[0].id;
    const run = await waitRunFinal(d, wf.id, runId);
    assert.equal(run.workflowExecutionType, 'scheduled');
    assert.equal(run.processingStatus, 'completed');
    assert.deepEqual(await subjectsOf(wf.id, runId), [in1.id, in2.id].sort(),
      'the run must hold exactly the in-scope users whose hire date is within the window (3-day catch-up; rule is case-sensitive)');
    assertCountersMatch(await runHistory(d, wf.id, runId));
    assert.deepEqual(await memberOf(d, in1.id), [g.id], 'the scheduled run ran its task');
    for (const u of [old, future, noDate, other, lower]) assert.deepEqual(await memberOf(d, u.id), [], `${u.displayName} was processed`);

    // nextScheduleRunDateTime: set, in the future.
    const w = await getWf(wf.id);
    assert.ok(isRfc3339(w.nextScheduleRunDateTime), `nextScheduleRunDateTime: ${w.nextScheduleRunDateTime}`);
    assert.ok(Date.parse(w.nextScheduleRunDateTime) > Date.now() - 2000, 'nextScheduleRunDateTime is in the past');

    // executionScope lists who qualifies now (processed or not).
    const scope = await d.api('GET', `${WFS}/${wf.id}/executionScope`);
    expectStatus(scope, 200, 'executionScope');
    assert.deepEqual(scope.json.value.map((x) => x.subject?.id ?? x.id).sort(), [in1.id, in2.id].sort(), 'executionScope');

    // Two more evaluations: nobody is processed again for the same value.
    await evaluations(2, wf.id);
    assert.equal((await listRuns(d, wf.id)).length, 1, 'a user was processed twice for the same hire date');

    // Re-qualification: a new qualifying hire date for in1 processes in1 again (only).
    await patchUser(d, in1.id, { employeeHireDate: iso(now - 3 * HOUR) });
    const runs2 = await waitRuns(wf.id, 2, 'a run for the re-qualified user');
    const second = runs2.find((r) => r.id !== runId);
    await waitRunFinal(d, wf.id, second.id);
    assert.deepEqual(await subjectsOf(wf.id, second.id), [in1.id], 're-qualification must process only the changed user');
    // Moving a date out of the window and back to an already processed value does not re-run.
    await patchUser(d, in2.id, { employeeHireDate: iso(now + 10 * DAY) });
    await evaluations(1, wf.id);
    await patchUser(d, in2.id, { employeeHireDate: iso(now - 2 * DAY) });
    await evaluations(2, wf.id);
    assert.equal((await listRuns(d, wf.id)).length, 2, 'a user was processed again for a value already processed');
    await cleanup();
  });

  test('offsetInDays: a leaver workflow 2 days before employeeLeaveDateTime', async () => {
    const dept = tag('Leave');
    const now = Date.now();
    const due = await createUser(d, { department: dept, employeeLeaveDateTime: iso(now + 2 * DAY - HOUR) });
    const notYet = await createUser(d, { department: dept, employeeLeaveDateTime: iso(now + 5 * DAY) });
    const wf = await scheduled(leaverWorkflow({
      isSchedulingEnabled: true,
      executionConditions: {
        '@odata.type': NS + 'triggerAndScopeBasedConditions',
        scope: ruleScope(`department eq '${dept}'`),
        trigger: timeTrigger('employeeLeaveDateTime', -2),
      },
      tasks: [task(TD.disableAccount, 'Disable')],
    }));
    const runs = await waitRuns(wf.id, 1);
    await waitRunFinal(d, wf.id, runs[0].id);
    assert.deepEqual(await subjectsOf(wf.id, runs[0].id), [due.id]);
    assert.equal((await getUser(d, due.id)).accountEnabled, false);
    assert.equal((await getUser(d, notYet.id)).accountEnabled, true);
    await cleanup();
  });

  test('isSchedulingEnabled: a workflow without it is never evaluated; turning it on schedules the run', async () => {
    const dept = tag('Off');
    const u = await createUser(d, { department: dept, employeeHireDate: iso(Date.now() - HOUR) });
    const wf = await scheduled(scheduledJoiner(dept, [task(TD.enableAccount, 'Enable')], { isSchedulingEnabled: false }));
    await evaluations(2);
    assert.equal((await listRuns(d, wf.id)).length, 0, 'a workflow with isSchedulingEnabled false was scheduled');
    assert.equal((await getWf(wf.id)).nextScheduleRunDateTime ?? null, null, 'nextScheduleRunDateTime of an unscheduled workflow');
    // On demand still works for it.
    const od = await activate(d, wf.id, [u.id]);
    await waitRunFinal(d, wf.id, od.runId);
    expectStatus(await d.api('PATCH', `${WFS}/${wf.id}`, { body: { isSchedulingEnabled: true } }), 204);
    const runs = await waitRuns(wf.id, 2, 'the scheduled run after isSchedulingEnabled was turned on');
    const sched = runs.find((r) => r.workflowExecutionType === 'scheduled');
    assert.ok(sched, 'no scheduled run');
    assert.deepEqual(await subjectsOf(wf.id, sched.id), [u.id]);
    await cleanup();
  });

  test('attributeChangeTrigger: PATCHing a watched attribute into scope runs the mover workflow for that user only', async () => {
    const dept = tag('Mover');
    const g = await createGroup(d);
    const mover = await createUser(d, { department: `${dept}-before` });
    const stayer = await createUser(d, { department: dept });
    const leaverOut = await createUser(d, { department: `${dept}-x` });
    const wf = await scheduled(moverWorkflow({
      isSchedulingEnabled: true,
      executionConditions: {
        '@odata.type': NS + 'triggerAndScopeBasedConditions',
        scope: ruleScope(`department eq '${dept}'`),
        trigger: { '@odata.type': NS + 'attributeChangeTrigger', triggerAttributes: [{ name: 'department' }] },
      },
      tasks: [task(TD.addToGroups, 'Add to group', [{ name: 'groupID', value: g.id }])],
    }));
    await evaluations(1, wf.id); // changes are seen from the first evaluation on
    assert.equal((await listRuns(d, wf.id)).length, 0, 'a change trigger ran without a change');
    await patchUser(d, mover.id, { department: dept });
    await patchUser(d, stayer.id, { jobTitle: 'Lead' }); // in scope, but not a watched attribute
    await patchUser(d, leaverOut.id, { department: `${dept}-y` }); // watched, but out of scope
    const runs = await waitRuns(wf.id, 1, 'the mover run');
    await waitRunFinal(d, wf.id, runs[0].id);
    assert.equal(runs[0].workflowExecutionType, 'scheduled');
    assert.deepEqual(await subjectsOf(wf.id, runs[0].id), [mover.id]);
    assert.deepEqual(await memberOf(d, mover.id), [g.id]);
    await evaluations(2, wf.id);
    assert.equal((await listRuns(d, wf.id)).length, 1, 'one change must give one run');
    // The mover category is evolvable: masked unless asked for.
    assert.equal((await getWf(wf.id, ENUMS)).category, 'mover');
    await cleanup();
  });

  test('membershipChangeTrigger + groupBasedSubjectSet: add -> run for the added member; remove -> run for the removed one', async () => {
    const g = await createGroup(d);
    const g2 = await createGroup(d);
    const existing = await createUser(d);
    const added = await createUser(d);
    const removed = await createUser(d);
    await addMember(d, g.id, existing.id);
    await addMember(d, g2.id, removed.id);
    const mk = (group, changeType) => moverWorkflow({
      isSchedulingEnabled: true,
      executionConditions: {
        '@odata.type': NS + 'triggerAndScopeBasedConditions',
        scope: { '@odata.type': NS + 'groupBasedSubjectSet', groups: [{ id: group.id }] },
        trigger: { '@odata.type': NS + 'membershipChangeTrigger', changeType },
      },
      tasks: [task(TD.updateUserAttributes, 'Mark', [{ name: 'attributes', value: JSON.stringify({ jobTitle: `${changeType}-processed` }) }])],
    });
    const wAdd = await scheduled(mk(g, 'add'));
    const wRem = await scheduled(mk(g2, 'remove'));
    await evaluations(1, wAdd.id);
    await evaluations(1, wRem.id);
    await addMember(d, g.id, added.id);
    expectStatus(await d.api('DELETE', `/v1.0/groups/${g2.id}/members/${removed.id}/$ref`), 204);
    const ra = await waitRuns(wAdd.id, 1, 'the run for the added member');
    const rr = await waitRuns(wRem.id, 1, 'the run for the removed member');
    await waitRunFinal(d, wAdd.id, ra[0].id);
    await waitRunFinal(d, wRem.id, rr[0].id);
    assert.deepEqual(await subjectsOf(wAdd.id, ra[0].id), [added.id], 'only the added member');
    assert.deepEqual(await subjectsOf(wRem.id, rr[0].id), [removed.id], 'only the removed member');
    assert.equal((await getUser(d, added.id)).jobTitle, 'add-processed');
    assert.equal((await getUser(d, removed.id)).jobTitle, 'remove-processed');
    assert.equal((await getUser(d, existing.id)).jobTitle, null, 'an earlier member was processed');
    await cleanup();
  });

  test('group scope with a time-based trigger: only members whose date is due', async () => {
    const g = await createGroup(d);
    const now = Date.now();
    const member = await createUser(d, { employeeHireDate: iso(now - HOUR) });
    const memberLater = await createUser(d, { employeeHireDate: iso(now + 3 * DAY) });
    const outsider = await createUser(d, { employeeHireDate: iso(now - HOUR) });
    await addMember(d, g.id, member.id);
    await addMember(d, g.id, memberLater.id);
    const wf = await scheduled(joinerWorkflow({
      isSchedulingEnabled: true,
      executionConditions: {
        '@odata.type': NS + 'triggerAndScopeBasedConditions',
        scope: { '@odata.type': NS + 'groupBasedSubjectSet', groups: [{ id: g.id }] },
        trigger: timeTrigger('employeeHireDate', 0),
      },
      tasks: [task(TD.enableAccount, 'Enable')],
    }));
    const runs = await waitRuns(wf.id, 1);
    await waitRunFinal(d, wf.id, runs[0].id);
    assert.deepEqual(await subjectsOf(wf.id, runs[0].id), [member.id]);
    const scope = await d.api('GET', `${WFS}/${wf.id}/executionScope`);
    expectStatus(scope, 200);
    assert.deepEqual(scope.json.value.map((x) => x.subject?.id ?? x.id), [member.id]);
    assert.ok(!scope.text.includes(outsider.id));
    await cleanup();
  });

  test('quarantine (workflow setting): over the count threshold -> no run, quarantineDetails set; clearQuarantine -> 200 notQuarantined, then the run happens; on demand is exempt', async () => {
    const dept = tag('Quar');
    const now = Date.now();
    const users = [];
    for (let i = 0; i < 3; i++) users.push(await createUser(d, { department: dept, employeeHireDate: iso(now - HOUR) }));
    const wf = await scheduled(scheduledJoiner(dept, [task(TD.enableAccount, 'Enable')], {
      settings: {
        quarantineConfiguration: {
          matchMode: 'any',
          conditions: [{ '@odata.type': NS + 'countBasedQuarantineCondition', threshold: 2 }],
        },
      },
    }));
    const q = await waitFor(async () => {
      const w = await getWf(wf.id);
      const t = w.quarantineDetails?.quarantineType;
      return t && t !== 'notQuarantined' ? w : null;
    }, { timeoutMs: SCHED_TIMEOUT_MS, what: 'the workflow to be quarantined' });
    assert.equal(q.quarantineDetails.quarantineType, 'countBasedThresholdExceeded');
    assert.ok(isRfc3339(q.quarantineDetails.quarantinedDateTime));
    assert.match(q.quarantineDetails.quarantineReason, /3/, 'the reason says how many users');
    await evaluations(2);
    assert.equal((await listRuns(d, wf.id)).length, 0, 'a quarantined workflow ran');
    // On-demand runs are not subject to quarantine.
    const od = await activate(d, wf.id, [users[0].id]);
    assert.equal((await waitRunFinal(d, wf.id, od.runId)).processingStatus, 'completed');

    const c = await d.api('POST', `${WFS}/${wf.id}/clearQuarantine`);
    expectStatus(c, 200, 'clearQuarantine');
    assert.equal(c.json.id, wf.id);
    assert.equal(c.json.quarantineDetails.quarantineType, 'notQuarantined');
    assert.equal((await getWf(wf.id)).quarantineDetails.quarantineType, 'notQuarantined');
    const audit = (await collectAll(d, '/v1.0/auditLogs/directoryAudits')).items
      .filter((e) => (e.targetResources || []).some((t) => t.id === wf.id));
    assert.ok(audit.some((e) => /approve|quarantine/i.test(e.activityDisplayName)), 'clearQuarantine is audited');
    // "Approve execution" releases the held run: the workflow then runs at its
    // next scheduled time (product A.4.4), for the users it held back.
    await evaluations(3); // the clock's: a quarantined workflow is not evaluated
    const after = await getWf(wf.id);
    assert.equal(after.quarantineDetails.quarantineType, 'notQuarantined',
      `approved workflow was quarantined again by the next evaluation: ${JSON.stringify(after.quarantineDetails)}`);
    const runs = await listRuns(d, wf.id);
    const sched = runs.find((r) => r.workflowExecutionType === 'scheduled');
    assert.ok(sched, 'no scheduled run after clearQuarantine');
    assert.deepEqual(await subjectsOf(wf.id, sched.id), users.map((u) => u.id).sort());
    await cleanup();
  });

  test('quarantine (tenant settings, percentage): the tenant threshold applies to workflows without their own', async () => {
    const dept = tag('TQ');
    const now = Date.now();
    for (let i = 0; i < 2; i++) await createUser(d, { department: dept, employeeHireDate: iso(now - HOUR) });
    await createUser(d, { department: dept, employeeHireDate: iso(now - 30 * DAY) }); // in scope, not due
    const s = await d.api('PATCH', `${LW}/settings`, {
      body: {
        quarantineConfiguration: {
          matchMode: 'any',
          conditions: [{ '@odata.type': NS + 'percentageBasedQuarantineCondition', percentage: 50 }],
        },
      },
    });
    expectStatus(s, 204, 'PATCH settings quarantineConfiguration');
    try {
      const wf = await scheduled(scheduledJoiner(dept, [task(TD.enableAccount, 'Enable')]));
      const q = await waitFor(async () => {
        const w = await getWf(wf.id);
        const t = w.quarantineDetails?.quarantineType;
        return t && t !== 'notQuarantined' ? w : null;
      }, { timeoutMs: SCHED_TIMEOUT_MS, what: 'tenant-wide quarantine' });
      assert.equal(q.quarantineDetails.quarantineType, 'percentageBasedThresholdExceeded');
      assert.equal((await listRuns(d, wf.id)).length, 0);
    } finally {
      expectStatus(await d.api('PATCH', `${LW}/settings`, { body: { quarantineConfiguration: null } }), 204);
      await cleanup();
    }
  });

  test('executionScope: 404 for an unknown workflow; empty for an on-demand-only workflow', async () => {
    expectGraphError(await d.api('GET', `${WFS}/0badc0de-5555-4555-8555-000000000008/executionScope`), 404);
    const wf = await createWorkflow(d, leaverWorkflow({
      executionConditions: { '@odata.type': NS + 'onDemandExecutionOnly' },
      tasks: [task(TD.disableAccount, 'Disable')],
    }));
    const r = await d.api('GET', `${WFS}/${wf.id}/executionScope`);
    expectStatus(r, 200);
    assert.deepEqual(r.json.value, []);
  });
});
