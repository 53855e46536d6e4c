// SPDX-License-Identifier: MIT
// Durability of runs (issue 3 "Execution": a killed lcwd restarted on the
// same data loses nothing; expired leases are taken over; every run reaches
// a final status with counters that match its results): 2,000 users (400
// under sanitizers) in one on-demand leaver run, SIGKILL in the middle,
// restart on the same data directory, then every user has exactly one final
// user result in the run, every task exactly one task result per user, the
// directory shows every task's effect once, and the run's counters equal
// the results.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, tempDir, SANITIZE, expectStatus, collectAll } from './lib/lcwd.mjs';
import { TD, task } from './lib/fixtures.mjs';
import {
  WFS, FINAL, SANITIZE_FACTOR, createUsers, createWorkflow, workflowFor, activate, getRun, waitRunFinal,
  runHistory, assertCountersMatch, sleep,
} from './lib/engine.mjs';

const N = SANITIZE ? 400 : 2000;
// The restarted daemon releases the killed one's leases at start (SQLite);
// the bound also covers taking them over at expiry (60 s, engine.c).
const RECOVERY_TIMEOUT_MS = 90000 * SANITIZE_FACTOR;

describe('engine: durability across SIGKILL', () => {
  const dataDir = tempDir();
  const env = { LCW_MAX_ACTIVATION_USERS: '5000', LCW_PAGE_SIZE: '999' };
  let d;
  after(async () => {
    if (d) d.kill();
    removeDir(dataDir);
  });

  test(`${N} users: SIGKILL mid-run, restart, every user and task processed exactly once, counters match`, { timeout: RECOVERY_TIMEOUT_MS + 120000 }, async () => {
    d = await startLcwd({ dataDir, env });
    const adminToken = d.adminToken;
    const ids = await createUsers(d, N, (i) => ({ department: `Dur${i % 7}`, jobTitle: 'Engineer' }), { concurrency: 8 });
    const tasks = [
      task(TD.disableAccount, 'Disable'),
      task(TD.removeFromAllGroups, 'Remove groups'),
      task(TD.revokeRefreshTokens, 'Revoke'),
      task(TD.updateUserAttributes, 'Mark', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'Former engineer' }) }]),
    ];
    const wf = await createWorkflow(d, workflowFor(tasks));
    const { runId } = await activate(d, wf.id, ids);

    // Kill once some (about 5%), but not all, users are done.
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
      assert.ok(!FINAL.includes(run.processingStatus), 'the run finished before any progress was seen');
      assert.ok(Date.now() < end, 'no user finished within the time bound');
      await sleep(10);
    }
    const ex = await d.exited;
    assert.equal(ex.signal, 'SIGKILL', `lcwd exited by itself (${JSON.stringify(ex)})`);
    assert.ok(atKill < N, `the run was already done when killed (${atKill}/${N}); nothing was tested`);

    // Restart on the same data; the run must finish by itself.
    const killedAt = Date.now();
    d = await startLcwd({ dataDir, env, adminToken });
    const run = await waitRunFinal(d, wf.id, runId, { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 500 });
    const recoveredMs = Date.now() - killedAt;
    const h = await runHistory(d, wf.id, runId);

    // Every user exactly once, final, completed.
    assert.equal(h.users.length, N, `user results in the run: ${h.users.length}, expected ${N}`);
    const seen = new Map();
    for (const u of h.users) seen.set(u.subject.id, (seen.get(u.subject.id) || 0) + 1);
    const dupUsers = [...seen].filter(([, n]) => n !== 1);
    assert.deepEqual(dupUsers, [], 'users with more than one result');
    assert.deepEqual([...seen.keys()].sort(), [...ids].sort(), 'the run holds other users than the activated ones');
    const notDone = h.users.filter((u) => u.processingStatus !== 'completed');
    assert.deepEqual(notDone.map((u) => [u.subject.id, u.processingStatus]).slice(0, 10), [], `${notDone.length} users not completed`);

    // Every task exactly once per user.
    assert.equal(h.tasks.length, N * tasks.length, `task results: ${h.tasks.length}, expected ${N * tasks.length}`);
    const per = new Map();
    for (const t of h.tasks) {
      const k = `${t.subject.id}/${t.task.id}`;
      per.set(k, (per.get(k) || 0) + 1);
      assert.equal(t.processingStatus, 'completed', `task result ${t.id} (${t.task.displayName}) is ${t.processingStatus}: ${t.failureReason}`);
    }
    const dupTasks = [...per].filter(([, n]) => n !== 1);
    assert.deepEqual(dupTasks.slice(0, 10), [], `${dupTasks.length} user/task pairs with more than one result`);
    assert.equal(per.size, N * tasks.length);

    // The counters equal the results, and the run completed.
    assertCountersMatch(h);
    assert.equal(run.processingStatus, 'completed');
    assert.deepEqual(
      [run.totalUsersCount, run.successfulUsersCount, run.failedUsersCount, run.totalTasksCount, run.failedTasksCount, run.totalUnprocessedTasksCount],
      [N, N, 0, N * tasks.length, 0, 0]);

    // The directory shows every effect: nobody enabled, every title changed.
    const left = await d.api('GET', `/v1.0/users?$filter=${encodeURIComponent("accountEnabled eq true or jobTitle eq 'Engineer'")}&$count=true&$top=5`);
    expectStatus(left, 200);
    assert.equal(left.json['@odata.count'] ?? left.json.value.length, 0, `users the run did not finish: ${left.text.slice(0, 300)}`);
    // No work is left behind: a new on-demand run on the restarted daemon completes normally.
    const again = await activate(d, wf.id, ids.slice(0, 3));
    assert.equal((await waitRunFinal(d, wf.id, again.runId)).processingStatus, 'completed');
    // Only the two runs exist.
    const runs = (await collectAll(d, `${WFS}/${wf.id}/runs`)).items;
    assert.equal(runs.length, 2);
    test.diagnostic?.(`killed at ${atKill}/${N} users done; final after ${recoveredMs} ms`);
    console.log(`# durability: killed at ${atKill}/${N} users done; run final ${recoveredMs} ms after the kill`);
    await d.stop();
    d = null;
  });
});
