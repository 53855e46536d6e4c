// SPDX-License-Identifier: MIT
// Reprocess refusals (issue 4 "Refusals"; DESIGN 5, 6; spec 6; product A.1
// quarantine): each is a Graph error that changes nothing — no run, no user
// result, no lineage, no audit event — and planActivation reports the same
// refusal. Unknown run/results -> 404, unknown users -> 406, results of
// another workflow -> 400, over the limit -> 400 naming it, a source still
// queued/in progress -> 409, a second reprocess of the same run or result
// while the first is in progress -> 409 naming the active run (the first is
// held in progress by a custom task extension in callback mode and resumed
// afterwards), deleted or disabled workflow -> 400, quarantine (per-user
// refused, whole run of all users allowed), Global Reader -> 403, and
// malformed scopes -> 400.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, LW, ROLES, expectStatus, expectGraphError } from './lib/lcwd.mjs';
import { TD, task, joinerWorkflow, ruleScope, timeTrigger } from './lib/fixtures.mjs';
import { startReceiver } from './lib/peers.mjs';
import {
  WFS, NS, ENUMS, createUser, createUsers, createWorkflow, workflowFor, activate, waitRunFinal, runHistory, getRun, waitFor, tag,
  SANITIZE_FACTOR,
} from './lib/engine.mjs';
import {
  runScope, resultsScope, userScope, legacySubjects, queryScope, reprocess, tryReprocess, snapshot, createExtension, resumeAll,
} from './lib/reprocess.mjs';

const GHOST = '0badc0de-4444-4444-8444-000000000001';
const HOUR = 3600 * 1000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('reprocess: refusals change nothing', () => {
  let d, rx, reader, lwa;
  const routes = {};

  before(async () => {
    rx = await startReceiver({ maxHoldMs: 100 });
    rx.respond = (req) => (routes[req.url] ? routes[req.url](req) : { status: 404, body: {} });
    d = await startLcwd({ env: { LCW_SCHEDULE_INTERVAL_SECONDS: '1' } });
    reader = await d.token(ROLES.GR, 'reader');
    lwa = await d.token(ROLES.LCWA, 'lwa');
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
    if (rx) await rx.close();
  });

  /** Both activateWithScope and planActivation answer `status` (mentioning `mentions`), and nothing changed. */
  async function refused(wfId, body, status, mentions = [], { token, snapshotOf = wfId } = {}) {
    const s0 = await snapshot(d, snapshotOf);
    const what = JSON.stringify(body).slice(0, 400);
    const res = await tryReprocess(d, wfId, body, { token });
    expectStatus(res, status, `activateWithScope ${what} (expected to mention ${mentions})`);
    const e = expectGraphError(res, status, { mentions });
    if (status !== 403) {
      const pr = await d.api('POST', `${WFS}/${wfId}/planActivation`, { body, token });
      expectStatus(pr, status, `planActivation ${what}`);
      expectGraphError(pr, status, { mentions });
    }
    assert.deepEqual(await snapshot(d, snapshotOf), s0, `a refused reprocess (${status}: ${e.message}) changed something`);
    return e;
  }

  /** A workflow with a completed run of `n` users (one Enable task); returns {wf, runId, results}. */
  async function finishedRun(n = 2, extra = {}) {
    const ids = await createUsers(d, n);
    const wf = await createWorkflow(d, workflowFor([task(TD.enableAccount, 'Enable')], extra));
    const { runId } = await activate(d, wf.id, ids);
    await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId);
    return { wf, runId, ids, results: h.users.map((u) => u.id), h };
  }

  test('unknown run or results -> 404 naming them; unknown users in a user scope (and the legacy body) -> 406', async () => {
    const { wf, results, ids } = await finishedRun();
    await refused(wf.id, runScope(GHOST), 404, [GHOST]);
    await refused(wf.id, resultsScope([results[0], GHOST]), 404, [GHOST]);
    await refused(wf.id, userScope([ids[0], GHOST]), 406, [GHOST]);
    await refused(wf.id, legacySubjects([GHOST]), 406, [GHOST]);
    // Unknown workflow.
    const r = await tryReprocess(d, GHOST, runScope(GHOST));
    expectGraphError(r, 404);
  });

  test('results or a run of another workflow -> 400 (results) / 404 (run)', async () => {
    const a = await finishedRun();
    const b = await finishedRun();
    await refused(a.wf.id, resultsScope([a.results[0], b.results[0]]), 400, [b.results[0]]);
    await refused(a.wf.id, runScope(b.runId), 404, [b.runId]);
  });

  test('more than the limit (10 by default) -> 400 naming the limit; exactly 10 is accepted', async () => {
    const { wf, runId, results, ids } = await finishedRun(10);
    const extra = await finishedRun(1);
    // An 11th result of this workflow: a second run of one more user.
    const more = await createUser(d);
    const r2 = await activate(d, wf.id, [more.id]);
    await waitRunFinal(d, wf.id, r2.runId);
    const eleventh = (await runHistory(d, wf.id, r2.runId)).users[0].id;
    await refused(wf.id, resultsScope([...results, eleventh]), 400, ['10']);
    await refused(wf.id, userScope([...ids, more.id]), 400, ['10']);
    await refused(wf.id, legacySubjects([...ids, more.id]), 400, ['10']);
    assert.ok(extra);
    // Ten results, or a whole run of ten users, are fine; the query scope has no cap.
    const ok = await reprocess(d, wf.id, resultsScope(results));
    await waitRunFinal(d, wf.id, ok.runId);
    const q = await reprocess(d, wf.id, queryScope("processingStatus eq 'completed'", 'allTasks'));
    const qr = await waitRunFinal(d, wf.id, q.runId);
    assert.ok(qr.totalUsersCount >= 11, `query scope is capped: ${qr.totalUsersCount} users`);
    assert.ok(runId);
  });

  test('LCW_MAX_ACTIVATION_USERS raises/lowers the limit and the message names it', async () => {
    const d2 = await startLcwd({ env: { LCW_MAX_ACTIVATION_USERS: '2' } });
    try {
      const ids = await createUsers(d2, 3);
      const wf = await createWorkflow(d2, workflowFor([task(TD.enableAccount, 'Enable')]));
      const { runId } = await activate(d2, wf.id, ids.slice(0, 2));
      await waitRunFinal(d2, wf.id, runId);
      const r3 = await activate(d2, wf.id, [ids[2]]);
      await waitRunFinal(d2, wf.id, r3.runId);
      const rs = [...(await runHistory(d2, wf.id, runId)).users, ...(await runHistory(d2, wf.id, r3.runId)).users].map((u) => u.id);
      expectGraphError(await tryReprocess(d2, wf.id, resultsScope(rs)), 400, { mentions: ['2'] });
      expectGraphError(await tryReprocess(d2, wf.id, userScope(ids)), 400, { mentions: ['2'] });
      const ok = await reprocess(d2, wf.id, resultsScope(rs.slice(0, 2)));
      await waitRunFinal(d2, wf.id, ok.runId);
    } finally {
      await d2.stop();
      removeDir(d2.dataDir);
    }
  });

  test('deleted or disabled workflow -> 400 (and nothing changes)', async () => {
    const { wf, runId, results, ids } = await finishedRun();
    expectStatus(await d.api('PATCH', `${WFS}/${wf.id}`, { body: { isEnabled: false } }), 204);
    for (const body of [runScope(runId), resultsScope(results), userScope(ids), queryScope("processingStatus eq 'completed'")]) {
      await refused(wf.id, body, 400, ['disabled']);
    }
    expectStatus(await d.api('PATCH', `${WFS}/${wf.id}`, { body: { isEnabled: true } }), 204);
    const other = await finishedRun();
    expectStatus(await d.api('DELETE', `${WFS}/${other.wf.id}`), 204);
    const audit0 = (await snapshot(d, wf.id)).audit;
    for (const body of [runScope(other.runId), resultsScope(other.results), userScope(other.ids)]) {
      const r = await tryReprocess(d, other.wf.id, body);
      expectStatus(r, 400, `reprocess of a deleted workflow ${JSON.stringify(body)}`);
      expectGraphError(r, 400, { mentions: ['deleted'] });
    }
    assert.equal((await snapshot(d, wf.id)).audit, audit0, 'a refused reprocess of a deleted workflow was audited');
    // Restored, it has only its own run, and can be reprocessed again.
    expectStatus(await d.api('POST', `${LW}/deletedItems/workflows/${other.wf.id}/restore`), 200);
    const s1 = await snapshot(d, other.wf.id);
    assert.equal(s1.runs.length, 1, `runs of the restored workflow: ${s1.runs}`);
    assert.deepEqual(s1.lineage[other.runId], []);
  });

  test('Global Reader -> 403 for activateWithScope and planActivation; Lifecycle Workflows Administrator may reprocess', async () => {
    const { wf, runId } = await finishedRun();
    await refused(wf.id, runScope(runId), 403, [], { token: reader });
    expectGraphError(await d.api('POST', `${WFS}/${wf.id}/planActivation`, { body: runScope(runId), token: reader }), 403);
    const ok = await reprocess(d, wf.id, runScope(runId), { token: lwa });
    await waitRunFinal(d, wf.id, ok.runId);
  });

  test('malformed scopes -> 400 naming the problem', async () => {
    const { wf, runId, results } = await finishedRun();
    const bad = [
      [{}, ['scope']],
      [{ scope: {} }, ['scope']],
      [{ scope: { '@odata.type': NS + 'activateGroupScope', group: { id: GHOST } } }, ['activateGroupScope']],
      [{ scope: { '@odata.type': NS + 'activateRunScope' } }, ['run']],
      [runScope(runId, 'someUsers'), ['userScope']],
      [runScope(runId, 'allUsers', 'someTasks'), ['taskScope']],
      [resultsScope([]), ['processingResults']],
      [userScope([]), ['users']],
      [{ ...runScope(runId), extra: 1 }, ['extra']],
      // Wrong types are refused, not read as the default (DESIGN 6).
      [{ scope: { ...resultsScope(results).scope, workflowVersion: 7 } }, ['workflowVersion']],
      [{ scope: { ...resultsScope(results).scope, taskScope: 1 } }, ['taskScope']],
      [{ scope: { ...runScope(runId).scope, userScope: true } }, ['userScope']],
    ];
    for (const [body, mentions] of bad) await refused(wf.id, body, 400, mentions);
    expectGraphError(await d.api('POST', `${WFS}/${wf.id}/activateWithScope`, { body: '{"scope": ' }), 400);
  });

  test('a source run still queued or in progress -> 409; a second reprocess of the same run or result while the first is in progress -> 409 naming the active run', async () => {
    const ext = await createExtension(d, rx, routes, { mode: 'callback', answer: () => ({ status: 202, body: {} }) });
    const ids = await createUsers(d, 2);
    const wf = await createWorkflow(d, workflowFor([
      task(TD.enableAccount, 'Enable'),
      task(TD.customExtension, 'Wait for HR', [{ name: 'customTaskExtensionID', value: ext.id }]),
    ]));
    const resumed = new Set();
    const waitCallouts = (n) => rx.waitForRequests(n, (q) => q.url === ext.path, 15000 * SANITIZE_FACTOR);

    // The source run waits on the extension: in progress.
    const r0 = await activate(d, wf.id, ids);
    await waitCallouts(2);
    assert.equal((await getRun(d, wf.id, r0.runId)).processingStatus, 'inProgress');
    const h0 = await runHistory(d, wf.id, r0.runId);
    const [ur0a, ur0b] = h0.users.map((u) => u.id);
    await refused(wf.id, runScope(r0.runId), 409, [r0.runId, 'inProgress']);
    await refused(wf.id, resultsScope([ur0a]), 409, [ur0a]);
    await refused(wf.id, queryScope(`processingStatus eq 'inProgress'`), 409, []);

    // Finish it; the first reprocess of it now waits on the extension in turn.
    assert.equal(await resumeAll(d, rx, ext, resumed), 2);
    assert.equal((await waitRunFinal(d, wf.id, r0.runId)).processingStatus, 'completed');
    const r1 = await reprocess(d, wf.id, runScope(r0.runId, 'allUsers', 'allTasks'));
    await waitCallouts(4);
    assert.equal((await getRun(d, wf.id, r1.runId)).processingStatus, 'inProgress');

    // Second reprocess of the same run, of one of its results (by id, or by query): 409 naming r1.
    await refused(wf.id, runScope(r0.runId, 'allUsers', 'allTasks'), 409, [r1.runId]);
    await refused(wf.id, runScope(r0.runId, 'failedUsers', 'failedTasks'), 409, [r1.runId]);
    await refused(wf.id, resultsScope([ur0b]), 409, [r1.runId]);
    await refused(wf.id, queryScope(`processingStatus eq 'completed'`), 409, [r1.runId]);
    // r1 itself is in progress: reprocessing it, or its results, is refused too.
    await refused(wf.id, runScope(r1.runId), 409, [r1.runId]);

    // A result-scope reprocess in progress blocks a run-scope reprocess of the same run.
    assert.equal(await resumeAll(d, rx, ext, resumed), 2);
    await waitRunFinal(d, wf.id, r1.runId);
    const r2 = await reprocess(d, wf.id, resultsScope([ur0a]));
    await waitCallouts(5);
    await refused(wf.id, resultsScope([ur0a]), 409, [r2.runId]);
    await refused(wf.id, runScope(r0.runId), 409, [r2.runId]);
    // A result that is not being reprocessed can still be, by itself.
    const r3 = await reprocess(d, wf.id, resultsScope([ur0b]));
    await waitCallouts(6);

    // After they end, the run can be reprocessed again.
    assert.equal(await resumeAll(d, rx, ext, resumed), 2);
    await waitRunFinal(d, wf.id, r2.runId);
    await waitRunFinal(d, wf.id, r3.runId);
    const r4 = await reprocess(d, wf.id, runScope(r0.runId));
    await waitCallouts(8);
    assert.equal(await resumeAll(d, rx, ext, resumed), 2);
    assert.equal((await waitRunFinal(d, wf.id, r4.runId)).processingStatus, 'completed');
  });

  test('quarantined workflow: per-user reprocess refused (results, users, query, run failedUsers); a whole run of all users is allowed', async () => {
    const dept = tag('Quar');
    const ids = await createUsers(d, 3, () => ({ department: dept, employeeHireDate: iso(Date.now() - HOUR) }));
    const wf = await createWorkflow(d, joinerWorkflow({
      isSchedulingEnabled: false,
      executionConditions: { '@odata.type': NS + 'triggerAndScopeBasedConditions', scope: ruleScope(`department eq '${dept}'`), trigger: timeTrigger('employeeHireDate', 0) },
      tasks: [task(TD.enableAccount, 'Enable')],
      settings: { quarantineConfiguration: { matchMode: 'any', conditions: [{ '@odata.type': NS + 'countBasedQuarantineCondition', threshold: 2 }] } },
    }));
    const { runId } = await activate(d, wf.id, ids);
    await waitRunFinal(d, wf.id, runId);
    const results = (await runHistory(d, wf.id, runId)).users.map((u) => u.id);
    expectStatus(await d.api('PATCH', `${WFS}/${wf.id}`, { body: { isSchedulingEnabled: true } }), 204);
    await waitFor(async () => {
      const w = (await d.api('GET', `${WFS}/${wf.id}`)).json;
      const t = w.quarantineDetails?.quarantineType;
      return t && t !== 'notQuarantined';
    }, { timeoutMs: 20000 * SANITIZE_FACTOR, what: 'the workflow to be quarantined' });
    expectStatus(await d.api('PATCH', `${WFS}/${wf.id}`, { body: { isSchedulingEnabled: false } }), 204);

    for (const body of [resultsScope(results), userScope(ids), legacySubjects(ids), queryScope("processingStatus eq 'completed'"), runScope(runId, 'failedUsers', 'allTasks')]) {
      await refused(wf.id, body, 400, ['quarantine']);
    }
    for (const ts of ['allTasks', 'failedTasks']) {
      const { runId: rid } = await reprocess(d, wf.id, runScope(runId, 'allUsers', ts));
      await waitRunFinal(d, wf.id, rid);
    }
    const w = (await d.api('GET', `${WFS}/${wf.id}`, { headers: ENUMS })).json;
    assert.notEqual(w.quarantineDetails.quarantineType, 'notQuarantined', 'a reprocess cleared the quarantine');
  });
});
