// SPDX-License-Identifier: MIT
// The headline reprocess scenario (issue 4 "Tests"; DESIGN 5; product A.1)
// against a real lcwd and a real SMTP server (aiosmtpd, started and stopped
// by pid here): a leaver workflow whose "Send email on user's last day" task
// (to the manager) fails while nothing listens on the SMTP port
// (continueOnError false: the later tasks are canceled, unprocessed); the
// server is started and the run is reprocessed with failedUsers/failedTasks:
// only the failed users and their failed/unprocessed tasks run, they
// complete, the mail arrives, lineage links both ways, the source run is
// unchanged, and the reprocess is audited. Then reprocessPolicy
// skipIfSucceeded: a welcome email that succeeded is recorded completed
// "skipped: succeeded in run X" on an allTasks reprocess, and no second
// message is sent.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, expectStatus } from './lib/lcwd.mjs';
import { TD, task, leaverWorkflow, joinerWorkflow } from './lib/fixtures.mjs';
import {
  WFS, ENUMS, createUser, getUser, createGroup, addMember, memberOf, createWorkflow, activate, waitRunFinal, runHistory,
  assertCountersMatch, tasksOf, userResultOf, tag,
} from './lib/engine.mjs';
import {
  freePort, startSmtpOn, runScope, resultsScope, reprocess, plan, planPairs, runPairs, runLineage, resultLineage,
  runResultLineage, frozen, auditEvents,
} from './lib/reprocess.mjs';

const FROM = 'lcw@contoso.example';
const statuses = (ts) => Object.fromEntries(Object.entries(ts).map(([k, v]) => [k, v.processingStatus]));

describe('reprocess: the mail server was down (headline)', () => {
  let d, smtp, port;

  before(async () => {
    port = await freePort(); // nothing listens here until the test starts aiosmtpd
    d = await startLcwd({ env: { LCW_SMTP_URL: `smtp://127.0.0.1:${port}`, LCW_SMTP_FROM: FROM } });
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
    if (smtp) await smtp.stop();
  });

  test('email fails while SMTP is down -> reprocess failedUsers/failedTasks after it is up: only those users and tasks run, mail arrives, lineage, source unchanged, audited', async () => {
    const mgr = await createUser(d, { displayName: 'Mona Manager', mail: `${tag('mona')}@contoso.example` });
    const g = await createGroup(d);
    const leavers = [];
    for (const name of ['Lee Leaver', 'Lou Leaver']) {
      const u = await createUser(d, { displayName: name, mail: `${tag('lv')}@contoso.example` });
      expectStatus(await d.api('PUT', `/v1.0/users/${u.id}/manager/$ref`, { body: { '@odata.id': `${d.url}/v1.0/users/${mgr.id}` } }), 204);
      await addMember(d, g.id, u.id);
      leavers.push(u);
    }
    const wf = await createWorkflow(d, leaverWorkflow({
      tasks: [
        task(TD.disableAccount, 'Disable account'),
        task(TD.emailOnLastDay, "Send email on user's last day", [], { continueOnError: false }),
        task(TD.removeFromAllGroups, 'Remove from all groups'),
        task(TD.revokeRefreshTokens, 'Revoke tokens'),
      ],
    }));
    const ids = leavers.map((u) => u.id);
    const { runId: srcId } = await activate(d, wf.id, ids);
    const srcRun = await waitRunFinal(d, wf.id, srcId);
    const src = await runHistory(d, wf.id, srcId, { headers: ENUMS });
    assertCountersMatch(src);

    // The source: every user failed on the email; later tasks not run.
    assert.equal(srcRun.processingStatus, 'failed');
    for (const u of leavers) {
      const t = tasksOf(src, u.id);
      assert.deepEqual(statuses(t), {
        'Disable account': 'completed', "Send email on user's last day": 'failed', 'Remove from all groups': 'canceled', 'Revoke tokens': 'canceled',
      });
      assert.match(t["Send email on user's last day"].failureReason, /smtp|connect/i, 'the failure names the mail server');
      assert.equal(userResultOf(src, u.id).totalUnprocessedTasksCount, 2);
      assert.deepEqual(await memberOf(d, u.id), [g.id], 'a canceled task ran');
      assert.equal((await getUser(d, u.id)).accountEnabled, false);
    }
    assert.deepEqual([srcRun.totalUsersCount, srcRun.failedUsersCount, srcRun.totalTasksCount, srcRun.failedTasksCount, srcRun.totalUnprocessedTasksCount], [2, 2, 8, 2, 4]);
    const before = frozen(src);

    // The cause is fixed: the mail server is up.
    smtp = await startSmtpOn(port);
    const body = runScope(srcId, 'failedUsers', 'failedTasks');
    const p = await plan(d, wf.id, body);
    const T = Object.fromEntries(src.tasks.map((t) => [t.task.displayName, t.task.id]));
    const wantTasks = ["Send email on user's last day", 'Remove from all groups', 'Revoke tokens'].map((n) => T[n]);
    assert.deepEqual(planPairs(p), [...ids].sort().map((id) => [id, wantTasks]), 'the plan: the failed email and the two tasks it stopped');

    const res = await d.api('POST', `${WFS}/${wf.id}/activateWithScope`, { body, headers: { Prefer: 'return=representation, include-unknown-enum-members' } });
    expectStatus(res, 201, 'activateWithScope with return=representation');
    const newId = res.json.id;
    assert.ok(res.headers.get('location').endsWith(`/runs/${newId}`));
    assert.equal(res.json.workflowExecutionType, 'activatedWithScope');
    assert.deepEqual(res.json.activatedOnScope, body.scope);
    const run = await waitRunFinal(d, wf.id, newId);
    const h = await runHistory(d, wf.id, newId, { headers: ENUMS });
    assertCountersMatch(h);
    assert.equal(run.processingStatus, 'completed', JSON.stringify(h.tasks.map((t) => [t.task.displayName, t.processingStatus, t.failureReason])));
    assert.deepEqual(h.run.activatedOnScope, body.scope);

    // Only those users, only those tasks, all completed.
    assert.deepEqual(runPairs(h), planPairs(p), 'the run did what the plan said');
    for (const u of leavers) {
      assert.deepEqual(statuses(tasksOf(h, u.id)), {
        "Send email on user's last day": 'completed', 'Remove from all groups': 'completed', 'Revoke tokens': 'completed',
      }, 'Disable account ran again, or a task did not complete');
      assert.deepEqual(await memberOf(d, u.id), []);
    }
    // The mail arrived: one per user, to the manager, from the new run's task results.
    const sent = h.tasks.filter((t) => t.task.displayName === "Send email on user's last day");
    const msgs = await smtp.waitForMessages((m) => m.headers['x-lcw-workflow-id'] === wf.id, 2);
    assert.equal(msgs.length, 2, 'one message per leaver');
    assert.deepEqual(msgs.map((m) => m.headers['x-lcw-task-processing-result-id']).sort(), sent.map((t) => t.id).sort());
    for (const m of msgs) {
      assert.ok(m.headers.to.includes(mgr.mail), `To: ${m.headers.to}`);
      assert.ok(m.headers.from.includes(FROM));
      assert.match(m.headers.subject, /Lee Leaver|Lou Leaver/);
    }

    // Lineage both ways.
    assert.deepEqual((await runLineage(d, wf.id, srcId)).map((r) => r.id), [newId], 'runs/{source}/reprocessedRuns');
    for (const ur of src.users) {
      assert.deepEqual((await resultLineage(d, wf.id, ur.id)).map((r) => r.id), [newId], 'userProcessingResults/{id}/reprocessedRuns');
      const viaRun = await runResultLineage(d, wf.id, srcId, ur.id);
      assert.deepEqual(viaRun.map((r) => r.id), [newId]);
      assert.equal(viaRun[0].workflowExecutionType, 'activatedWithScope');
    }
    assert.equal(h.run.activatedOnScope.run.id, srcId, 'the new run names its source');
    assert.deepEqual(await runLineage(d, wf.id, newId), []);

    // The source run is exactly as it was (status, counters, results).
    assert.deepEqual(frozen(await runHistory(d, wf.id, srcId, { headers: ENUMS })), before, 'the source run was edited');

    // Audited: who, what scope, which source, which new run.
    const ev = (await auditEvents(d, newId)).find((e) => e.activityDisplayName === 'Reprocess workflow run');
    assert.ok(ev, 'no "Reprocess workflow run" audit event naming the new run');
    const det = Object.fromEntries(ev.additionalDetails.map((x) => [x.key, x.value]));
    assert.equal(det.source, srcId);
    assert.equal(det.newRunId, newId);
    assert.deepEqual(JSON.parse(det.scope), body.scope);
    assert.ok(ev.initiatedBy.user.displayName);
  });

  test('reprocessPolicy skipIfSucceeded: a welcome email that succeeded is recorded "skipped: succeeded in run X" on allTasks, no second message; a sibling without the policy sends again', async () => {
    if (!smtp) smtp = await startSmtpOn(port);
    const skuId = '0badc0de-5555-4555-8555-' + Date.now().toString(16).padStart(12, '0').slice(-12);
    const u = await createUser(d, { displayName: 'Nia Newhire', mail: `${tag('nia')}@contoso.example` });
    const wf = await createWorkflow(d, joinerWorkflow({
      tasks: [
        task(TD.welcomeEmail, 'Welcome once', [{ name: 'to', value: 'User' }], { reprocessPolicy: 'skipIfSucceeded' }),
        task(TD.welcomeEmail, 'Welcome always', [{ name: 'to', value: 'User' }, { name: 'customSubject', value: 'Again {{userDisplayName}}' }]),
        task(TD.assignLicenses, 'Assign license', [{ name: 'licenses', value: skuId }]),
      ],
    }));
    const def = (await d.api('GET', `${WFS}/${wf.id}?$expand=tasks`)).json;
    assert.equal(def.tasks.find((t) => t.displayName === 'Welcome once').reprocessPolicy, 'skipIfSucceeded');
    const mine = (m) => m.headers['x-lcw-workflow-id'] === wf.id;

    const { runId: srcId } = await activate(d, wf.id, [u.id]);
    await waitRunFinal(d, wf.id, srcId);
    const src = await runHistory(d, wf.id, srcId);
    assert.deepEqual(statuses(tasksOf(src, u.id)), { 'Welcome once': 'completed', 'Welcome always': 'completed', 'Assign license': 'failed' });
    await smtp.waitForMessages(mine, 2);

    // The license now exists; allTasks: the skipIfSucceeded email is skipped, the "always" one is sent again.
    expectStatus(await d.api('POST', '/v1.0/subscribedSkus', { body: { skuPartNumber: tag('SKU'), skuId, prepaidUnits: { enabled: 5 } } }), 201);
    const body = resultsScope([src.users[0].id], 'allTasks');
    const p = await plan(d, wf.id, body);
    const onceTask = p.value[0].tasks.find((t) => t.displayName === 'Welcome once');
    assert.equal(onceTask.skippedBecauseSucceededIn, srcId, `the plan shows the skip: ${JSON.stringify(p.value[0].tasks)}`);
    const { runId } = await reprocess(d, wf.id, body);
    const run = await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    assert.equal(run.processingStatus, 'completed');
    const t = tasksOf(h, u.id);
    assert.deepEqual(statuses(t), { 'Welcome once': 'completed', 'Welcome always': 'completed', 'Assign license': 'completed' });
    assert.equal(t['Welcome once'].processingInfo, `skipped: succeeded in run ${srcId}`);
    assert.deepEqual(runPairs(h), planPairs(p));
    const all = await smtp.waitForMessages(mine, 3);
    await new Promise((r) => setTimeout(r, 500)); // a late fourth message would show here
    const after = smtp.messages().filter(mine);
    assert.equal(after.length, 3, `messages: ${after.map((m) => m.headers.subject)}`);
    assert.ok(!after.some((m) => m.headers['x-lcw-task-processing-result-id'] === t['Welcome once'].id), 'the skipped task sent a message');
    assert.ok(all.some((m) => m.headers['x-lcw-task-processing-result-id'] === t['Welcome always'].id));

    // Reprocessing the reprocess (allTasks): the skip refers to the run where it last succeeded... the
    // reprocess run recorded it completed, so it is skipped again and still no message.
    const again = await reprocess(d, wf.id, resultsScope([h.users[0].id], 'allTasks'));
    await waitRunFinal(d, wf.id, again.runId);
    const t2 = tasksOf(await runHistory(d, wf.id, again.runId), u.id);
    assert.match(t2['Welcome once'].processingInfo, /^skipped: succeeded in run /);
    await smtp.waitForMessages(mine, 4);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(smtp.messages().filter(mine).length, 4, 'only "Welcome always" sends on the second reprocess');
  });
});
