// SPDX-License-Identifier: MIT
// Paging through history while it grows (issue 5, "stable keyset paging"):
// with LCW_PAGE_SIZE=3, page through a workflow's userProcessingResults
// (default order, $orderby, $filter), its runs and a run's task results,
// starting another activation after the first page; among the rows that
// existed before paging started, none is lost and none is repeated, and no
// page repeats a row of another. Counters and summaries agree with the
// results while a run is in progress.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, expectStatus } from './lib/lcwd.mjs';
import { TD, task, leaverWorkflow } from './lib/fixtures.mjs';
import { WFS, ENUMS, createUsers, createWorkflow, activate, waitRunFinal, runHistory, assertCountersMatch, getRun } from './lib/engine.mjs';
import { all, fn, userSummaryOf, taskSummaryOf, runSummaryOf, bare } from './lib/history.mjs';
import { createExtension, resumeAll } from './lib/reprocess.mjs';
import { startReceiver } from './lib/peers.mjs';

describe('history paging with concurrent inserts', () => {
  let d, wf, users;
  const runs = [];

  before(async () => {
    d = await startLcwd({ env: { LCW_PAGE_SIZE: '3', LCW_MAX_ACTIVATION_USERS: '100' } });
    users = await createUsers(d, 40);
    wf = await createWorkflow(d, leaverWorkflow({
      tasks: [task(TD.disableAccount, 'Disable user account'), task(TD.revokeRefreshTokens, 'Revoke refresh tokens')],
    }));
    for (const n of [20, 7]) {
      const { runId } = await activate(d, wf.id, users.slice(0, n));
      await waitRunFinal(d, wf.id, runId);
      runs.push(runId);
    }
  });
  after(async () => {
    if (rx) await rx.close();
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });
  let rx;

  /**
   * Page through `first`, starting an activation of `n` users after page 1
   * (and another after page 3); returns the ids seen, page by page.
   */
  async function pageWhileInserting(first, n = 40) {
    const pages = [];
    let next = first;
    const started = [];
    for (let p = 0; next; p++) {
      const r = await d.api('GET', next, { headers: ENUMS });
      expectStatus(r, 200, `page ${p + 1} of ${first}`);
      pages.push(r.json.value.map((x) => x.id));
      next = r.json['@odata.nextLink'];
      if (next) assert.match(next, /^http:\/\/127\.0\.0\.1:\d+\/v1\.0\//, 'absolute nextLink');
      if (p === 0 || p === 2) started.push((await activate(d, wf.id, users.slice(0, n))).runId);
      assert.ok(p < 1000, 'paging does not end');
    }
    for (const id of started) {
      await waitRunFinal(d, wf.id, id);
      runs.push(id);
    }
    return pages;
  }

  function checkNoLossNoRepeat(before, pages, what) {
    const seen = pages.flat();
    const dup = seen.filter((id, i) => seen.indexOf(id) !== i);
    assert.deepEqual(dup, [], `${what}: rows repeated across pages`);
    const lost = before.filter((id) => !seen.includes(id));
    assert.deepEqual(lost, [], `${what}: rows that existed before paging were lost`);
  }

  test('userProcessingResults (default order): no row lost or repeated while a run inserts', async () => {
    const path = `${WFS}/${wf.id}/userProcessingResults`;
    const before = (await all(d, path)).map((u) => u.id);
    checkNoLossNoRepeat(before, await pageWhileInserting(path), 'default order');
  });

  test('userProcessingResults $orderby=scheduledDateTime desc and $orderby=processingStatus: no row lost or repeated', async () => {
    for (const ob of ['scheduledDateTime desc', 'processingStatus', 'completedDateTime desc']) {
      const path = `${WFS}/${wf.id}/userProcessingResults?$orderby=${encodeURIComponent(ob)}`;
      const before = (await all(d, path)).map((u) => u.id);
      checkNoLossNoRepeat(before, await pageWhileInserting(path), `$orderby=${ob}`);
    }
  });

  test('userProcessingResults with a $filter and a run\'s user results: no row lost or repeated', async () => {
    const path = `${WFS}/${wf.id}/userProcessingResults?$filter=${encodeURIComponent("processingStatus eq 'completed'")}`;
    const before = (await all(d, path)).map((u) => u.id);
    checkNoLossNoRepeat(before, await pageWhileInserting(path), '$filter');
    const runPath = `${WFS}/${wf.id}/runs/${runs[0]}/userProcessingResults`;
    const rb = (await all(d, runPath)).map((u) => u.id);
    checkNoLossNoRepeat(rb, await pageWhileInserting(runPath), 'run user results');
  });

  test('userProcessingResults in a scheduledDateTime window: no row lost or repeated while a run inserts into it', async () => {
    // From the second run's time to an hour ahead: the first run's results are
    // outside, and the runs started while paging insert into the window after
    // the cursor. Pages after the first are settled by walking the rows after
    // the skiptoken in id order, or by the full query when the walk cannot.
    const lo = Date.parse((await getRun(d, wf.id, runs[1])).scheduledDateTime);
    const hi = Date.now() + 3600000;
    const filter = `scheduledDateTime ge ${new Date(lo).toISOString()} and scheduledDateTime lt ${new Date(hi).toISOString()}`;
    const path = `${WFS}/${wf.id}/userProcessingResults?$filter=${encodeURIComponent(filter)}`;
    const before = (await all(d, path)).map((u) => u.id);
    assert.ok(before.length >= 7, 'the second run is in the window');
    const pages = await pageWhileInserting(path);
    checkNoLossNoRepeat(before, pages, 'window');
    const seen = pages.flat();
    assert.deepEqual(seen, [...seen].sort(), 'ids ascend across pages');
    const byId = new Map((await all(d, `${WFS}/${wf.id}/userProcessingResults`)).map((u) => [u.id, u]));
    const outside = seen.filter((id) => { const t = Date.parse(byId.get(id).scheduledDateTime); return t < lo || t >= hi; });
    assert.deepEqual(outside, [], 'every row listed is in the window');
    assert.ok(seen.length > before.length, 'rows inserted after the cursor are listed');
  });

  test('runs and task results: no row lost or repeated while runs are added', async () => {
    const path = `${WFS}/${wf.id}/runs`;
    const before = (await all(d, path)).map((r) => r.id);
    checkNoLossNoRepeat(before, await pageWhileInserting(path, 5), 'runs (newest first)');
    const tp = `${WFS}/${wf.id}/runs/${runs[0]}/taskProcessingResults`;
    const tb = (await all(d, tp)).map((t) => t.id);
    checkNoLossNoRepeat(tb, await pageWhileInserting(tp, 5), 'task results');
  });

  test('while a run is in progress, its counters and the summaries agree with its results at every read', async () => {
    const { runId } = await activate(d, wf.id, users);
    const t0 = Date.now() - 3600000, t1 = Date.now() + 3600000;
    for (let i = 0; i < 20; i++) {
      const h = await runHistory(d, wf.id, runId);
      // Results and the run read in separate requests: compare only what is stable between them.
      const run = await getRun(d, wf.id, runId);
      assert.equal(run.totalUsersCount, users.length, 'totalUsersCount is known from the start');
      const s = await d.api('GET', fn(`${WFS}/${wf.id}/runs/${runId}/subjectProcessingResults`, 'summary', t0, t1));
      expectStatus(s, 200);
      assert.equal(s.json.totalSubjects, users.length);
      if (run.processingStatus === 'completed') break;
      assert.ok(h.users.length === users.length);
    }
    await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    const s = await d.api('GET', fn(`${WFS}/${wf.id}/runs/${runId}/subjectProcessingResults`, 'summary', t0, t1));
    const u = userSummaryOf(h.users);
    assert.deepEqual({ ...s.json, '@odata.context': undefined }, {
      '@odata.context': undefined, failedSubjects: u.failedUsers, failedTasks: u.failedTasks,
      successfulSubjects: u.successfulUsers, totalSubjects: u.totalUsers, totalTasks: u.totalTasks,
    });
  });

  test('a run in progress (users waiting on a callback): counters, summaries and task reports agree with the results, before and after the resume', async () => {
    rx = await startReceiver({ maxHoldMs: 100 });
    rx.respond = () => ({ status: 202, body: {} });
    const ext = await createExtension(d, rx, {}, { mode: 'callback' });
    const w = await createWorkflow(d, leaverWorkflow({
      tasks: [
        task(TD.disableAccount, 'Disable user account'),
        task(TD.customExtension, 'Wait for HR', [{ name: 'customTaskExtensionID', value: ext.id }]),
        task(TD.revokeRefreshTokens, 'Revoke refresh tokens'),
      ],
    }));
    const { runId } = await activate(d, w.id, users.slice(0, 4));
    await rx.waitForRequests(4, (q) => q.url === ext.path);
    const t0 = Date.now() - 3600000, t1 = Date.now() + 3600000;
    const problems = []; // collected, so that one report shows every disagreement
    const same = (a, b, what) => { try { assert.deepEqual(a, b); } catch { problems.push(`${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`); } };
    const check = async (what) => {
      const h = await runHistory(d, w.id, runId);
      assertCountersMatch(h);
      const get = async (p) => { const r = await d.api('GET', p); expectStatus(r, 200, p); return bare(r.json); };
      const runs = await all(d, `${WFS}/${w.id}/runs`);
      const users_ = await all(d, `${WFS}/${w.id}/userProcessingResults`);
      same(await get(fn(`${WFS}/${w.id}/runs`, 'summary', t0, t1)), runSummaryOf(runs, users_), `${what}: runs summary`);
      same(await get(fn(`${WFS}/${w.id}/userProcessingResults`, 'summary', t0, t1)), userSummaryOf(users_), `${what}: user summary`);
      const reports = await all(d, `${WFS}/${w.id}/taskReports`);
      same(await get(fn(`${WFS}/${w.id}/taskReports`, 'summary', t0, t1)), taskSummaryOf(h.tasks), `${what}: taskReports/summary vs the task results`);
      const sum = (k) => reports.reduce((a, x) => a + x[k], 0);
      same(sum('totalUsersCount'), h.tasks.length, `${what}: sum of taskReports totalUsersCount vs the task results`);
      for (const rep of reports) {
        const ts = h.tasks.filter((t) => t.task.id === rep.task.id);
        same(rep.totalUsersCount, ts.length, `${what}: report ${rep.task.displayName} totalUsersCount`);
        same(rep.successfulUsersCount, ts.filter((t) => t.processingStatus === 'completed').length, `${what}: report ${rep.task.displayName} successfulUsersCount`);
      }
      return h;
    };
    const during = await check('in progress');
    assert.equal(during.run.processingStatus, 'inProgress');
    assert.ok(during.users.every((u) => u.processingStatus === 'inProgress'));
    assert.ok(during.tasks.some((t) => t.processingStatus === 'inProgress'), 'the waiting task is listed inProgress');
    const rep = (await all(d, `${WFS}/${w.id}/taskReports`)).find((x) => x.task.displayName === 'Wait for HR');
    assert.equal(rep.processingStatus, 'inProgress', 'the waiting task report is inProgress');
    assert.equal(rep.completedDateTime ?? null, null, 'an inProgress report has no completedDateTime');
    await resumeAll(d, rx, ext);
    await waitRunFinal(d, w.id, runId);
    const h = await check('after the resume');
    assert.equal(h.run.processingStatus, 'completed');
    assert.deepEqual(problems, [], 'summaries and reports disagree with the results');
  });
});
