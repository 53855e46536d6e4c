// SPDX-License-Identifier: MIT
// The execution engine, on demand (issue 3; spec 5.1 activate,
// cancelProcessing, previewWorkflow, previewTaskFailures; 5.4 history;
// product A.2 statuses, A.4.1 continueOnError): the run a client gets back,
// its life queued -> inProgress -> final, the counters, every history route,
// the error paths (nothing created), continueOnError both ways, run statuses,
// cancel of a final run, previews. No SMTP server is configured here.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startLcwd, removeDir, LW, ROLES, expectStatus, expectGraphError, isRfc3339, collectAll,
} from './lib/lcwd.mjs';
import { TD, task, joinerWorkflow } from './lib/fixtures.mjs';
import {
  WFS, ENUMS, FINAL, STATUSES, createUser, createUsers, getUser, createGroup, createSku, memberOf,
  createWorkflow, workflowFor, activate, getRun, waitRunFinal, runHistory, listRuns,
  assertCountersMatch, tasksOf, userResultOf, runOnDemand,
} from './lib/engine.mjs';

const CANCEL = (runId) => ({ scope: { '@odata.type': '#microsoft.graph.identityGovernance.cancelRunsScope', runs: [{ id: runId }] } });
const ORDERED = (a, b, what) => assert.ok(Date.parse(a) <= Date.parse(b), `${what}: ${a} > ${b}`);
const MISSING_GROUP = '0badc0de-0000-4000-8000-000000000001';

describe('engine: on-demand runs', () => {
  let d;
  let reader;
  before(async () => {
    d = await startLcwd();
    reader = await d.token(ROLES.GR, 'reader');
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  test('activate: 204 + Location of the run; the run goes queued/inProgress -> completed with counters that match its results', async () => {
    const g = await createGroup(d);
    const a = await createUser(d, { department: 'Sales' });
    const b = await createUser(d, { department: 'Sales' });
    const wf = await createWorkflow(d, workflowFor([
      task(TD.disableAccount, 'Disable'),
      task(TD.addToGroups, 'Add to group', [{ name: 'groupID', value: g.id }]),
    ]));
    const before = Date.now();
    const { runId, res, location } = await activate(d, wf.id, [a.id, b.id]);
    expectStatus(res, 204, 'activate without Prefer');
    assert.equal(res.text, '', '204 must have an empty body');
    assert.ok(location.startsWith(`${d.url}/v1.0/identityGovernance/lifecycleWorkflows/workflows/${wf.id}/runs/`), `Location: ${location}`);

    // The Location is readable at once, and the run is not final yet or just finished.
    const first = await d.api('GET', location);
    expectStatus(first, 200, 'GET Location');
    assert.equal(first.json.id, runId);
    assert.ok(STATUSES.includes(first.json.processingStatus), `status ${first.json.processingStatus}`);
    assert.equal(first.json.workflowExecutionType, 'onDemand');
    assert.equal(first.json.totalUsersCount, 2);
    assert.ok(isRfc3339(first.json.scheduledDateTime), `scheduledDateTime ${first.json.scheduledDateTime}`);
    assert.ok(Date.parse(first.json.scheduledDateTime) >= before - 2000);

    const run = await waitRunFinal(d, wf.id, runId);
    assert.equal(run.processingStatus, 'completed');
    for (const p of ['scheduledDateTime', 'startedDateTime', 'completedDateTime', 'lastUpdatedDateTime']) {
      assert.ok(isRfc3339(run[p]), `run.${p}: ${run[p]}`);
    }
    ORDERED(run.scheduledDateTime, run.startedDateTime, 'scheduled <= started');
    ORDERED(run.startedDateTime, run.completedDateTime, 'started <= completed');
    assert.equal(run.activatedOnScope ?? null, null);
    assert.deepEqual(
      [run.totalUsersCount, run.successfulUsersCount, run.failedUsersCount, run.totalTasksCount, run.failedTasksCount, run.totalUnprocessedTasksCount],
      [2, 2, 0, 4, 0, 0], 'counters of a run of 2 users x 2 tasks that all succeeded');
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    for (const u of h.users) {
      assert.equal(u.processingStatus, 'completed');
      assert.equal(u.workflowExecutionType, 'onDemand');
      assert.equal(u.workflowVersion, 1);
      for (const p of ['scheduledDateTime', 'startedDateTime', 'completedDateTime']) assert.ok(isRfc3339(u[p]), `user result ${p}: ${u[p]}`);
    }
    // The tasks really ran, in order, against the directory.
    for (const u of [a, b]) {
      assert.equal((await getUser(d, u.id)).accountEnabled, false, 'Disable ran');
      assert.deepEqual(await memberOf(d, u.id), [g.id], 'Add to group ran');
      const t = tasksOf(h, u.id);
      assert.ok(t.Disable.task.executionSequence < t['Add to group'].task.executionSequence);
      ORDERED(t.Disable.startedDateTime, t['Add to group'].startedDateTime, 'executionSequence order');
    }
    // The run is in the workflow's run list.
    assert.ok((await listRuns(d, wf.id)).some((r) => r.id === runId), 'run not listed under /runs');
  });

  test('activate with Prefer: return=representation answers 201 with the run and its Location', async () => {
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([task(TD.revokeRefreshTokens, 'Revoke')]));
    const { runId, res } = await activate(d, wf.id, [u.id], { headers: { Prefer: 'return=representation' } });
    expectStatus(res, 201, 'activate with return=representation');
    assert.equal(res.json.id, runId, 'body id = Location id');
    assert.equal(res.json.workflowExecutionType, 'onDemand');
    assert.ok(['queued', 'inProgress', 'completed'].includes(res.json.processingStatus), `status ${res.json.processingStatus}`);
    assert.equal(res.json.totalUsersCount, 1);
    assert.equal(res.json.totalTasksCount, 1);
    assert.match(res.json['@odata.context'] || '', /runs\/\$entity$/);
    assert.equal((await waitRunFinal(d, wf.id, runId)).processingStatus, 'completed');
  });

  test('user and task results are readable through every history route, and agree', async () => {
    const users = [await createUser(d), await createUser(d)];
    const tasks = [task(TD.disableAccount, 'Disable'), task(TD.revokeRefreshTokens, 'Revoke')];
    const { wf, runId, run, users: urs, tasks: trs } = await runOnDemand(d, tasks, users.map((u) => u.id));
    assert.equal(urs.length, 2);
    assert.equal(trs.length, 4);
    assert.deepEqual(urs.map((u) => u.subject.id).sort(), users.map((u) => u.id).sort());

    // /userProcessingResults (workflow-wide) and /runs/{id}/userProcessingResults.
    const all = (await collectAll(d, `${WFS}/${wf.id}/userProcessingResults`)).items;
    for (const ur of urs) {
      const inAll = all.find((x) => x.id === ur.id);
      assert.ok(inAll, `user result ${ur.id} missing from /userProcessingResults`);
      assert.deepEqual(inAll, ur);
      const g1 = await d.api('GET', `${WFS}/${wf.id}/userProcessingResults/${ur.id}`);
      expectStatus(g1, 200);
      const g2 = await d.api('GET', `${WFS}/${wf.id}/runs/${runId}/userProcessingResults/${ur.id}`);
      expectStatus(g2, 200);
      for (const g of [g1.json, g2.json]) {
        delete g['@odata.context'];
        assert.deepEqual(g, ur, 'GET of a user result differs from the list item');
      }
      // Its tasks, both ways.
      const t1 = (await collectAll(d, `${WFS}/${wf.id}/userProcessingResults/${ur.id}/taskProcessingResults`)).items;
      const t2 = (await collectAll(d, `${WFS}/${wf.id}/runs/${runId}/userProcessingResults/${ur.id}/taskProcessingResults`)).items;
      const mine = trs.filter((t) => t.subject.id === ur.subject.id);
      const ids = (xs) => xs.map((x) => x.id).sort();
      assert.deepEqual(ids(t1), ids(mine));
      assert.deepEqual(ids(t2), ids(mine));
      for (const t of t1) assert.equal(t.subject.id, ur.subject.id);
    }
    // Task results by task, list and get.
    const wfTasks = (await d.api('GET', `${WFS}/${wf.id}/tasks`)).json.value;
    assert.equal(wfTasks.length, 2);
    for (const wt of wfTasks) {
      const byTask = (await collectAll(d, `${WFS}/${wf.id}/tasks/${wt.id}/taskProcessingResults`)).items;
      assert.equal(byTask.length, 2, `task ${wt.displayName}: one result per user`);
      for (const t of byTask) {
        assert.equal(t.task.id, wt.id);
        const g = await d.api('GET', `${WFS}/${wf.id}/tasks/${wt.id}/taskProcessingResults/${t.id}`);
        expectStatus(g, 200);
        assert.equal(g.json.id, t.id);
      }
    }
    // Shapes.
    for (const t of trs) {
      assert.equal(t.processingStatus, 'completed');
      for (const p of ['createdDateTime', 'startedDateTime', 'completedDateTime']) assert.ok(isRfc3339(t[p]), `task result ${p}: ${t[p]}`);
      assert.equal(t.failureReason, null);
      assert.equal(typeof t.processingInfo, 'string', 'a completed task says what it did');
      assert.ok(t.task && t.task.taskDefinitionId, 'task inlined');
      assert.ok(t.subject && t.subject.id, 'subject inlined');
    }
    // A user result is not found under another run; an unknown one is 404.
    const other = await runOnDemand(d, [task(TD.revokeRefreshTokens, 'Revoke')], [users[0].id]);
    expectGraphError(await d.api('GET', `${WFS}/${wf.id}/runs/${other.runId}/userProcessingResults/${urs[0].id}`), 404);
    expectGraphError(await d.api('GET', `${WFS}/${wf.id}/runs/${runId}/userProcessingResults/01234567-89ab-4def-8123-456789abcdef`), 404);
    expectGraphError(await d.api('GET', `${WFS}/${wf.id}/runs/01234567-89ab-4def-8123-456789abcdef`), 404);

    // Task reports: one per task of the run, counting each user once.
    const reports = (await collectAll(d, `${WFS}/${wf.id}/taskReports`)).items.filter((r) => r.runId === runId);
    assert.equal(reports.length, 2, 'one task report per task of the run');
    for (const r of reports) {
      assert.equal(r.processingStatus, 'completed');
      assert.equal(r.totalUsersCount, 2);
      assert.equal(r.successfulUsersCount, 2);
      assert.equal(r.failedUsersCount, 0);
      assert.equal(r.unprocessedUsersCount, 0);
      assert.ok(wfTasks.some((t) => t.id === r.task.id), 'report names a task of the workflow');
      assert.ok(isRfc3339(r.completedDateTime));
    }
    assert.equal(run.processingStatus, 'completed');
  });

  test('activate errors: >limit users, unknown user, disabled workflow, Global Reader -> error and nothing created', async () => {
    const wf = await createWorkflow(d, workflowFor([task(TD.disableAccount, 'Disable')]));
    const u = await createUser(d);
    const eleven = await createUsers(d, 11);
    const snapshot = async () => ({
      runs: (await listRuns(d, wf.id)).length,
      users: (await collectAll(d, `${WFS}/${wf.id}/userProcessingResults`)).items.length,
      audit: (await collectAll(d, '/v1.0/auditLogs/directoryAudits')).items.length,
    });
    const s0 = await snapshot();
    const post = (body, token) => d.api('POST', `${WFS}/${wf.id}/activate`, { body, token });

    expectGraphError(await post({ subjects: eleven.map((id) => ({ id })) }), 400, { mentions: ['10'] });
    const ghost = '0badc0de-1111-4111-8111-000000000002';
    expectGraphError(await post({ subjects: [{ id: u.id }, { id: ghost }] }), 404, { mentions: [ghost] });
    expectGraphError(await post({ subjects: [] }), 400, { mentions: ['subjects'] });
    expectGraphError(await post({}), 400, { mentions: ['subjects'] });
    expectGraphError(await post({ subjects: [{ id: u.id }] }, reader), 403);
    assert.deepEqual(await snapshot(), s0, 'a refused activate created a run, a result or an audit event');
    expectStatus(await d.api('PATCH', `${WFS}/${wf.id}`, { body: { isEnabled: false } }), 204);
    const s1 = await snapshot();
    expectGraphError(await post({ subjects: [{ id: u.id }] }), 400, { mentions: ['enable'] });
    assert.deepEqual(await snapshot(), s1, 'activating a disabled workflow created a run, a result or an audit event');
    assert.equal((await getUser(d, u.id)).accountEnabled, true, 'a refused activate ran a task');
    // Ten is fine.
    expectStatus(await d.api('PATCH', `${WFS}/${wf.id}`, { body: { isEnabled: true } }), 204);
    const { runId } = await activate(d, wf.id, eleven.slice(0, 10));
    assert.equal((await waitRunFinal(d, wf.id, runId)).totalUsersCount, 10);
  });

  test('continueOnError false: the failure stops the user (failed), later tasks are canceled and counted unprocessed; run failed', async () => {
    const u = await createUser(d);
    const h = await runOnDemand(d, [
      task(TD.addToGroups, 'Add to missing group', [{ name: 'groupID', value: MISSING_GROUP }], { continueOnError: false }),
      task(TD.disableAccount, 'Disable'),
      task(TD.revokeRefreshTokens, 'Revoke'),
    ], [u.id]);
    const ur = userResultOf(h, u.id);
    assert.equal(ur.processingStatus, 'failed');
    assert.equal(ur.totalTasksCount, 3);
    assert.equal(ur.failedTasksCount, 1);
    assert.equal(ur.totalUnprocessedTasksCount, 2);
    const t = tasksOf(h, u.id);
    assert.equal(t['Add to missing group'].processingStatus, 'failed');
    assert.ok(t['Add to missing group'].failureReason.includes(MISSING_GROUP), `failureReason names the group: ${t['Add to missing group'].failureReason}`);
    for (const n of ['Disable', 'Revoke']) {
      assert.equal(t[n].processingStatus, 'canceled', `${n} must not run after a stopping failure`);
      assert.equal(typeof t[n].failureReason, 'string', `${n}: canceled with a reason`);
    }
    assert.equal((await getUser(d, u.id)).accountEnabled, true, 'Disable ran although an earlier task stopped the user');
    assert.equal(h.run.processingStatus, 'failed', 'every user failed -> run failed');
  });

  test('continueOnError true: later tasks still run; user completedWithErrors; run completedWithErrors', async () => {
    const u = await createUser(d);
    const h = await runOnDemand(d, [
      task(TD.addToGroups, 'Add to missing group', [{ name: 'groupID', value: MISSING_GROUP }], { continueOnError: true }),
      task(TD.disableAccount, 'Disable'),
    ], [u.id]);
    const ur = userResultOf(h, u.id);
    assert.equal(ur.processingStatus, 'completedWithErrors');
    assert.equal(ur.failedTasksCount, 1);
    assert.equal(ur.totalUnprocessedTasksCount, 0);
    const t = tasksOf(h, u.id);
    assert.equal(t['Add to missing group'].processingStatus, 'failed');
    assert.equal(t.Disable.processingStatus, 'completed');
    assert.equal((await getUser(d, u.id)).accountEnabled, false, 'Disable ran after a continue-on-error failure');
    assert.equal(h.run.processingStatus, 'completedWithErrors');
  });

  test('a run where some users succeed and some fail is completedWithErrors', async () => {
    // One unit of a licence: the first user gets it, the second cannot.
    const sku = await createSku(d, `ONEUNIT_${Date.now()}`, 1);
    const a = await createUser(d);
    const b = await createUser(d);
    const h = await runOnDemand(d, [task(TD.assignLicenses, 'Assign', [{ name: 'licenses', value: sku.skuId }])], [a.id, b.id]);
    const st = h.users.map((u) => u.processingStatus).sort();
    assert.deepEqual(st, ['completed', 'failed']);
    assert.equal(h.run.processingStatus, 'completedWithErrors');
    assert.equal(h.run.successfulUsersCount, 1);
    assert.equal(h.run.failedUsersCount, 1);
    const failed = h.tasks.find((t) => t.processingStatus === 'failed');
    assert.ok(failed.failureReason && failed.failureReason.length > 0, 'the licence failure has a reason');
  });

  test('disabled tasks are skipped: not run, not counted', async () => {
    const u = await createUser(d);
    const h = await runOnDemand(d, [
      task(TD.revokeRefreshTokens, 'Revoke'),
      task(TD.disableAccount, 'Disable (off)', [], { isEnabled: false }),
    ], [u.id]);
    assert.equal(h.run.totalTasksCount, 1);
    assert.equal(h.tasks.length, 1);
    assert.equal(h.tasks[0].task.displayName, 'Revoke');
    assert.equal((await getUser(d, u.id)).accountEnabled, true);
  });

  test('cancelProcessing: a final run -> 409; bad scope -> 400; unknown run -> 404; Global Reader -> 403', async () => {
    const u = await createUser(d);
    const { wf, runId, run } = await runOnDemand(d, [task(TD.revokeRefreshTokens, 'Revoke')], [u.id]);
    const cancel = (body, token) => d.api('POST', `${WFS}/${wf.id}/cancelProcessing`, { body, token });
    expectGraphError(await cancel(CANCEL(runId)), 409, { mentions: [runId] });
    expectGraphError(await cancel({ scope: { runs: [{ id: runId }] } }), 400, { mentions: ['scope'] });
    expectGraphError(await cancel({ scope: { '@odata.type': '#microsoft.graph.identityGovernance.cancelRunsScope', runs: [] } }), 400, { mentions: ['runs'] });
    expectGraphError(await cancel(CANCEL('01234567-89ab-4def-8123-456789abcdef')), 404);
    expectGraphError(await cancel(CANCEL(runId), reader), 403);
    const after = await getRun(d, wf.id, runId);
    assert.equal(after.processingStatus, run.processingStatus, 'a refused cancel changed the run');
  });

  test('previewWorkflow: a preview run (workflowExecutionType preview) that changes nothing; masked without the Prefer header', async () => {
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([
      task(TD.disableAccount, 'Disable'),
      task(TD.removeAllAccessPackages, 'Remove access packages', [], { continueOnError: true }),
    ]));
    const r = await d.api('POST', `${WFS}/${wf.id}/previewWorkflow`, { body: { subjects: [{ id: u.id, '@odata.type': '#microsoft.graph.user' }] } });
    assert.ok(r.status === 204 || r.status === 201, `previewWorkflow: ${r.status} ${r.text}`);
    const loc = r.headers.get('location');
    assert.ok(loc, 'previewWorkflow: no Location of the preview run');
    const runId = loc.split('/').pop();
    const run = await waitRunFinal(d, wf.id, runId);
    const withEnums = await getRun(d, wf.id, runId, ENUMS);
    assert.equal(withEnums.workflowExecutionType, 'preview');
    assert.equal(run.workflowExecutionType, 'unknownFutureValue', 'preview is an evolvable member: masked without Prefer: include-unknown-enum-members');
    const h = await runHistory(d, wf.id, runId, { headers: ENUMS });
    assertCountersMatch(h);
    const ur = userResultOf(h, u.id);
    assert.equal(ur.workflowExecutionType, 'preview');
    const t = tasksOf(h, u.id);
    assert.equal(t.Disable.processingStatus, 'completed');
    assert.equal(t['Remove access packages'].processingStatus, 'failed');
    assert.match(t['Remove access packages'].failureReason, /not supported/i);
    assert.equal((await getUser(d, u.id)).accountEnabled, true, 'a preview disabled the user');
    // Clients find previews with the documented filter.
    const f = await d.api('GET', `${WFS}/${wf.id}/userProcessingResults?$filter=${encodeURIComponent("workflowExecutionType eq 'preview'")}`, { headers: ENUMS });
    expectStatus(f, 200, 'filter user results by workflowExecutionType');
    assert.ok(f.json.value.some((x) => x.id === ur.id), 'the preview result is not found by $filter');
    // Unknown subject -> 404, nothing created.
    const n = (await listRuns(d, wf.id)).length;
    expectGraphError(await d.api('POST', `${WFS}/${wf.id}/previewWorkflow`, { body: { subjects: [{ id: '0badc0de-2222-4222-8222-000000000003' }] } }), 404);
    assert.equal((await listRuns(d, wf.id)).length, n);
  });

  test('previewTaskFailures: lists the tasks that cannot succeed here (email without SMTP, access packages), not the others', async () => {
    const wf = await createWorkflow(d, joinerWorkflow({
      tasks: [
        task(TD.enableAccount, 'Enable'),
        task(TD.welcomeEmail, 'Welcome email'),
        task(TD.requestAccessPackage, 'Request access package', [
          { name: 'assignmentPolicyId', value: '0badc0de-3333-4333-8333-000000000004' },
          { name: 'accessPackageId', value: '0badc0de-3333-4333-8333-000000000005' },
        ]),
        task(TD.onboardingReminder, 'Reminder (disabled)', [], { isEnabled: false }),
      ],
    }));
    const r = await d.api('POST', `${WFS}/${wf.id}/previewTaskFailures`);
    expectStatus(r, 200, 'previewTaskFailures');
    const byName = Object.fromEntries(r.json.value.map((x) => [x.name, x]));
    assert.deepEqual(Object.keys(byName).sort(), ['Request access package', 'Welcome email'], JSON.stringify(r.json.value));
    const tasks = (await d.api('GET', `${WFS}/${wf.id}/tasks`)).json.value;
    const mail = byName['Welcome email'];
    assert.equal(mail.definitionId.toLowerCase(), TD.welcomeEmail);
    assert.equal(mail.taskId, tasks.find((t) => t.displayName === 'Welcome email').id);
    assert.match(mail.failureReason, /SMTP/i, 'the reason says no SMTP server is configured');
    assert.match(byName['Request access package'].failureReason, /not supported/i);
    expectGraphError(await d.api('POST', `${WFS}/${wf.id}/previewTaskFailures`, { token: reader }), 403);
  });

  test('an email task with no SMTP server configured fails with that reason (run, not only preview)', async () => {
    const u = await createUser(d, { mail: 'someone@contoso.example' });
    const wf = await createWorkflow(d, joinerWorkflow({ tasks: [task(TD.welcomeEmail, 'Welcome email')] }));
    const { runId } = await activate(d, wf.id, [u.id]);
    await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    const t = tasksOf(h, u.id)['Welcome email'];
    assert.equal(t.processingStatus, 'failed');
    assert.match(t.failureReason, /SMTP/i);
  });

  test('history is readable by a Global Reader; FINAL statuses only from the documented set', async () => {
    const u = await createUser(d);
    const { wf, runId } = await runOnDemand(d, [task(TD.revokeRefreshTokens, 'Revoke')], [u.id]);
    for (const p of [`runs/${runId}`, 'runs', 'userProcessingResults', `runs/${runId}/taskProcessingResults`, 'taskReports']) {
      expectStatus(await d.api('GET', `${WFS}/${wf.id}/${p}`, { token: reader }), 200, `reader GET ${p}`);
    }
    assert.ok(FINAL.includes((await getRun(d, wf.id, runId)).processingStatus));
  });
});
