// SPDX-License-Identifier: MIT
// Reprocess and the engine (issue 4 "Tests"; DESIGN 4, 5; docs/internals/
// engine.md): automatic retry with backoff (task retryPolicy) against a
// custom task extension receiver that answers 503 twice then 202, each
// attempt visible in processingInfo, and the final failure of a retry that
// gives up is what a failedTasks reprocess picks up; cancelProcessing of a
// reprocess run (and that a canceled reprocess no longer blocks another);
// a restart of lcwd in the middle of a reprocess run: SIGTERM while a user
// waits for an extension callback (resumed after the restart), and SIGKILL
// while a query-scope reprocess of many users is running — every run still
// completes with each user processed exactly once.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, tempDir, expectStatus, expectGraphError, SANITIZE } from './lib/lcwd.mjs';
import { TD, task } from './lib/fixtures.mjs';
import { startReceiver } from './lib/peers.mjs';
import {
  WFS, NS, ENUMS, FINAL, SANITIZE_FACTOR, createUser, createUsers, getUser, createWorkflow, workflowFor, activate, getRun,
  waitRunFinal, runHistory, assertCountersMatch, tasksOf, waitFor, sleep, tag,
} from './lib/engine.mjs';
import {
  runScope, resultsScope, queryScope, reprocess, tryReprocess, runLineage, resultLineage, createExtension, resumeAll, EXT_SECRET,
} from './lib/reprocess.mjs';

const CANCEL = (runId) => ({ scope: { '@odata.type': NS + 'cancelRunsScope', runs: [{ id: runId }] } });
const extTask = (ext, name, extra = {}) => task(TD.customExtension, name, [{ name: 'customTaskExtensionID', value: ext.id }], extra);

describe('reprocess: retries, cancel, restart', () => {
  let d, rx;
  const routes = {};
  const dataDir = tempDir();

  before(async () => {
    rx = await startReceiver({ maxHoldMs: 100 });
    rx.respond = (req) => (routes[req.url] ? routes[req.url](req) : { status: 404, body: {} });
    d = await startLcwd({ dataDir, env: { LCW_MAX_ACTIVATION_USERS: '5000', LCW_PAGE_SIZE: '999' } });
  });
  after(async () => {
    if (d) { await d.stop(); }
    removeDir(dataDir);
    if (rx) await rx.close();
  });

  test('retryPolicy {maxAttempts 3, initialDelaySeconds 1, backoffCoefficient 1}: 503, 503, 202 -> completed on the third attempt, each attempt in processingInfo, ~1 s apart', async () => {
    let calls = 0;
    const ext = await createExtension(d, rx, routes, {
      mode: 'none',
      client: { timeoutInMilliseconds: 2000, maximumRetries: 0 }, // no immediate retry by the executor itself
      answer: () => (++calls <= 2 ? { status: 503, body: { error: 'busy' } } : { status: 202, body: {} }),
    });
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([
      extTask(ext, 'Call HR', { retryPolicy: { maxAttempts: 3, initialDelaySeconds: 1, backoffCoefficient: 1 } }),
      task(TD.disableAccount, 'Disable'),
    ]));
    const def = (await d.api('GET', `${WFS}/${wf.id}?$expand=tasks`)).json;
    assert.deepEqual(def.tasks[0].retryPolicy, { maxAttempts: 3, initialDelaySeconds: 1, backoffCoefficient: 1, maxDelaySeconds: 3600 });
    const { runId } = await activate(d, wf.id, [u.id]);
    // Watch the task result while it retries: every attempt shows in processingInfo.
    const seen = new Set();
    await waitFor(async () => {
      const h = await runHistory(d, wf.id, runId);
      const t = tasksOf(h, u.id)['Call HR'];
      if (t?.processingInfo) seen.add(`${t.processingStatus}: ${t.processingInfo}`);
      return FINAL.includes(h.run.processingStatus);
    }, { intervalMs: 50, timeoutMs: 20000 * SANITIZE_FACTOR, what: 'the retried run to end' });
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    const t = tasksOf(h, u.id);
    assert.equal(t['Call HR'].processingStatus, 'completed', t['Call HR'].failureReason);
    assert.equal(t.Disable.processingStatus, 'completed');
    const hits = rx.requests.filter((q) => q.url === ext.path);
    assert.equal(hits.length, 3, 'three attempts reached the receiver');
    const gaps = [hits[1].at - hits[0].at, hits[2].at - hits[1].at];
    for (const g of gaps) assert.ok(g >= 900 && g < 5000 * SANITIZE_FACTOR, `attempts ${gaps} ms apart; the policy says 1 s`);
    const infos = [...seen].join('\n');
    assert.match(infos, /Attempt 1 of 3 failed/, `processingInfo while retrying:\n${infos}`);
    assert.match(infos, /Attempt 2 of 3 failed/, `processingInfo while retrying:\n${infos}`);
    assert.match(infos, /503/, 'the attempt names the transient failure');
    // The final record keeps the attempts visible too.
    assert.match(`${t['Call HR'].processingInfo}`, /attempt|503/i, `final processingInfo does not show the earlier attempts: ${t['Call HR'].processingInfo}`);
  });

  test('a retry that gives up fails "after 3 attempts"; a failedTasks reprocess picks it up and completes once the receiver recovers', async () => {
    let healthy = false;
    const ext = await createExtension(d, rx, routes, {
      mode: 'none',
      client: { timeoutInMilliseconds: 2000, maximumRetries: 0 },
      answer: () => (healthy ? { status: 202, body: {} } : { status: 503, body: {} }),
    });
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([
      task(TD.disableAccount, 'Disable'),
      extTask(ext, 'Call HR', { retryPolicy: { maxAttempts: 3, initialDelaySeconds: 1, backoffCoefficient: 1 } }),
      task(TD.revokeRefreshTokens, 'Revoke'),
    ]));
    const { runId } = await activate(d, wf.id, [u.id]);
    assert.equal((await waitRunFinal(d, wf.id, runId)).processingStatus, 'failed');
    const src = await runHistory(d, wf.id, runId);
    const t = tasksOf(src, u.id);
    assert.equal(t['Call HR'].processingStatus, 'failed');
    assert.match(t['Call HR'].failureReason, /after 3 attempts/);
    assert.equal(t.Revoke.processingStatus, 'canceled');
    healthy = true;
    const { runId: rid } = await reprocess(d, wf.id, runScope(runId, 'failedUsers', 'failedTasks'));
    assert.equal((await waitRunFinal(d, wf.id, rid)).processingStatus, 'completed');
    const h = await runHistory(d, wf.id, rid);
    assert.deepEqual(h.tasks.map((x) => x.task.displayName).sort(), ['Call HR', 'Revoke']);
  });

  test('cancelProcessing of a reprocess run: canceled, users and waiting tasks canceled, lineage kept; the source can be reprocessed again', async () => {
    const ext = await createExtension(d, rx, routes, { mode: 'callback' });
    const ids = await createUsers(d, 2);
    const wf = await createWorkflow(d, workflowFor([task(TD.enableAccount, 'Enable'), extTask(ext, 'Wait'), task(TD.updateUserAttributes, 'Mark', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'done' }) }])]));
    const resumed = new Set();
    const { runId: srcId } = await activate(d, wf.id, ids);
    await rx.waitForRequests(2, (q) => q.url === ext.path);
    await resumeAll(d, rx, ext, resumed);
    assert.equal((await waitRunFinal(d, wf.id, srcId)).processingStatus, 'completed');
    // The source run marked the users; unmark them so that the check below
    // can tell whether the reprocess ran "Mark" after its cancel.
    for (const id of ids) expectStatus(await d.api('PATCH', `/v1.0/users/${id}`, { body: { jobTitle: 'before' } }), 204);

    const { runId } = await reprocess(d, wf.id, runScope(srcId));
    await rx.waitForRequests(4, (q) => q.url === ext.path);
    assert.equal((await getRun(d, wf.id, runId)).processingStatus, 'inProgress');
    expectStatus(await d.api('POST', `${WFS}/${wf.id}/cancelProcessing`, { body: CANCEL(runId) }), 204, 'cancel the reprocess run');
    const run = await waitRunFinal(d, wf.id, runId);
    assert.equal(run.processingStatus, 'canceled');
    const h = await runHistory(d, wf.id, runId, { headers: ENUMS });
    assertCountersMatch(h);
    for (const ur of h.users) assert.equal(ur.processingStatus, 'canceled');
    for (const tr of h.tasks.filter((x) => x.task.displayName !== 'Enable')) assert.equal(tr.processingStatus, 'canceled', `${tr.task.displayName}: ${tr.processingStatus}`);
    assert.deepEqual((await runLineage(d, wf.id, srcId)).map((r) => [r.id, r.processingStatus]), [[runId, 'canceled']]);
    // A late callback for the canceled run is refused; nothing after it runs.
    const late = rx.requests.filter((q) => q.url === ext.path).slice(2).map((q) => q.json.data.callbackUriPath);
    for (const cb of late) {
      const r = await d.api('POST', `/v1.0${cb}`, { token: EXT_SECRET, body: { data: { operationStatus: 'Completed' }, source: 'test', type: 'lifecycleEvent' } });
      expectGraphError(r, 409);
    }
    for (const id of ids) assert.notEqual((await getUser(d, id)).jobTitle, 'done', 'a task after the canceled one ran');
    // A canceled reprocess no longer blocks another one.
    const again = await reprocess(d, wf.id, runScope(srcId));
    await rx.waitForRequests(6, (q) => q.url === ext.path);
    expectStatus(await d.api('POST', `${WFS}/${wf.id}/cancelProcessing`, { body: CANCEL(again.runId) }), 204);
    assert.equal((await waitRunFinal(d, wf.id, again.runId)).processingStatus, 'canceled');
  });

  test('SIGTERM in the middle of a reprocess run (a user waits for a callback): after the restart the run is still in progress, the resume completes it', async () => {
    const ext = await createExtension(d, rx, routes, { mode: 'callback' });
    const ids = await createUsers(d, 2);
    const wf = await createWorkflow(d, workflowFor([task(TD.enableAccount, 'Enable'), extTask(ext, 'Wait'), task(TD.updateUserAttributes, 'Mark', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'after restart' }) }])]));
    const resumed = new Set();
    const { runId: srcId } = await activate(d, wf.id, ids);
    await rx.waitForRequests(2, (q) => q.url === ext.path);
    await resumeAll(d, rx, ext, resumed, 'Failed');
    assert.equal((await waitRunFinal(d, wf.id, srcId)).processingStatus, 'failed');

    const { runId } = await reprocess(d, wf.id, runScope(srcId, 'failedUsers', 'failedTasks'));
    await rx.waitForRequests(4, (q) => q.url === ext.path);
    const adminToken = d.adminToken;
    await d.stop(); // SIGTERM; exit code 0 asserted
    d = await startLcwd({ dataDir, adminToken, env: { LCW_MAX_ACTIVATION_USERS: '5000', LCW_PAGE_SIZE: '999' } });
    assert.equal((await getRun(d, wf.id, runId)).processingStatus, 'inProgress', 'the waiting reprocess run did not survive the restart');
    // Its source results cannot be reprocessed again while it waits (the run-scope form of this
    // check is in reprocess_refusals.test.mjs).
    const srcResults = (await runHistory(d, wf.id, srcId)).users.map((u) => u.id);
    expectGraphError(await tryReprocess(d, wf.id, resultsScope([srcResults[0]], 'failedTasks')), 409, { mentions: [runId] });
    assert.equal(await resumeAll(d, rx, ext, resumed), 2);
    assert.equal((await waitRunFinal(d, wf.id, runId)).processingStatus, 'completed');
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    assert.deepEqual(h.tasks.map((t) => `${t.task.displayName}:${t.processingStatus}`).sort(), ['Mark:completed', 'Mark:completed', 'Wait:completed', 'Wait:completed']);
    for (const id of ids) assert.equal((await getUser(d, id)).jobTitle, 'after restart');
  });

  const N = SANITIZE ? 300 : 1500;
  test(`SIGKILL in the middle of a query-scope reprocess of ${N} users: after the restart it completes, each user and task exactly once`, { timeout: 240000 * SANITIZE_FACTOR }, async () => {
    const skuId = '0badc0de-6666-4666-8666-' + Date.now().toString(16).padStart(12, '0').slice(-12);
    const ids = await createUsers(d, N, () => ({ jobTitle: 'Hire' }), { concurrency: 8 });
    const tasks = [
      task(TD.enableAccount, 'Enable'),
      task(TD.assignLicenses, 'License', [{ name: 'licenses', value: skuId }]),
      task(TD.updateUserAttributes, 'Mark', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'Licensed' }) }]),
      task(TD.addToGroups, 'Group', [{ name: 'groupID', value: (await d.api('POST', '/v1.0/groups', { body: { displayName: tag('G'), mailEnabled: false, securityEnabled: true } })).json.id }]),
    ];
    const wf = await createWorkflow(d, workflowFor(tasks));
    const { runId: srcId } = await activate(d, wf.id, ids);
    assert.equal((await waitRunFinal(d, wf.id, srcId, { timeoutMs: 120000 * SANITIZE_FACTOR, intervalMs: 250 })).failedUsersCount, N);
    expectStatus(await d.api('POST', '/v1.0/subscribedSkus', { body: { skuPartNumber: tag('KILL'), skuId, prepaidUnits: { enabled: N + 10 } } }), 201);

    const { runId } = await reprocess(d, wf.id, queryScope(`processingStatus eq 'failed'`, 'failedTasks'));
    let atKill;
    const end = Date.now() + 60000 * SANITIZE_FACTOR;
    for (;;) {
      const run = await getRun(d, wf.id, runId);
      const done = run.successfulUsersCount + run.failedUsersCount;
      if (done >= Math.max(1, N / 20)) {
        d.proc.kill('SIGKILL');
        atKill = done;
        break;
      }
      assert.ok(!FINAL.includes(run.processingStatus), 'the reprocess finished before any progress was seen');
      assert.ok(Date.now() < end, 'no user finished within the time bound');
      await sleep(5);
    }
    const ex = await d.exited;
    assert.equal(ex.signal, 'SIGKILL');
    assert.ok(atKill < N, `the reprocess was already done when killed (${atKill}/${N})`);
    const adminToken = d.adminToken;
    d = await startLcwd({ dataDir, adminToken, env: { LCW_MAX_ACTIVATION_USERS: '5000', LCW_PAGE_SIZE: '999' } });
    const run = await waitRunFinal(d, wf.id, runId, { timeoutMs: 120000 * SANITIZE_FACTOR, intervalMs: 250 });
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    assert.equal(run.processingStatus, 'completed');
    assert.equal(h.users.length, N);
    assert.equal(new Set(h.users.map((u) => u.subject.id)).size, N, 'a user has two results');
    assert.equal(h.tasks.length, N * 3, 'License, Mark and Group once per user');
    const per = new Map();
    for (const t of h.tasks) per.set(`${t.subject.id}/${t.task.id}`, (per.get(`${t.subject.id}/${t.task.id}`) || 0) + 1);
    assert.equal([...per.values()].filter((n) => n !== 1).length, 0, 'a task ran twice for a user');
    assert.ok(h.tasks.every((t) => t.processingStatus === 'completed'));
    // Lineage: every source result links the new run.
    const sample = (await runHistory(d, wf.id, srcId)).users.slice(0, 5);
    for (const ur of sample) assert.deepEqual((await resultLineage(d, wf.id, ur.id)).map((r) => r.id), [runId]);
    console.log(`# reprocess SIGKILL: killed at ${atKill}/${N} users done`);
  });
});
