// SPDX-License-Identifier: MIT
// Workflow history and reports (issue 5; spec 3.7-3.13, 5.4-5.5; product
// A.2): every history route over real seeded history (lib/history.mjs),
// every $filter/$orderby the spec lists, $top/$count/$select/$expand,
// summaries equal to counts computed from the listed rows, insights over
// windows, CSV and NDJSON export equal to the paged JSON, 400s for invalid
// options and windows, and the history of a deleted workflow under
// deletedItems until it is purged.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, LW, ROLES, expectStatus, expectGraphError, isRfc3339, collectAll } from './lib/lcwd.mjs';
import { WFS, ENUMS, FINAL, assertCountersMatch } from './lib/engine.mjs';
import { runLineage, resultLineage } from './lib/reprocess.mjs';
import {
  DAY, iso, fn, all, seedHistory, userSummaryOf, taskSummaryOf, runSummaryOf, bare, parseCsv, flat, csvText,
  STRICT_NAME,
} from './lib/history.mjs';

const INS = `${LW}/insights`;
// Categories as created (the POST response masks mover without the Prefer header).
const CAT = { fail: 'leaver', err: 'joiner', mixed: 'joiner', ok: 'mover', wait: 'leaver', sched: 'joiner', del: 'leaver' };
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const ids = (xs) => xs.map((x) => x.id);

describe('history and reports', () => {
  let d, seed, reader;
  const H = {}; // wfKey -> {runs, users, tasks (all task results), byRun: {runId: {run, users, tasks}}}
  let t0, t1; // a window that covers every seeded run

  before(async () => {
    d = await startLcwd({ env: { LCW_PAGE_SIZE: '4', LCW_MAX_ACTIVATION_USERS: '50', LCW_SCHEDULE_INTERVAL_SECONDS: '1' } });
    t0 = Date.now() - 60000;
    seed = await seedHistory(d);
    t1 = Date.now() + 60000;
    reader = await d.token(ROLES.GR, 'reader');
    for (const [k, w] of Object.entries(seed.wf)) {
      const runs = await all(d, `${WFS}/${w.id}/runs`);
      const h = { runs, users: await all(d, `${WFS}/${w.id}/userProcessingResults`), tasks: [], byRun: {} };
      for (const r of runs) {
        const users = await all(d, `${WFS}/${w.id}/runs/${r.id}/userProcessingResults`);
        const tasks = await all(d, `${WFS}/${w.id}/runs/${r.id}/taskProcessingResults`);
        h.byRun[r.id] = { run: r, users, tasks };
        h.tasks.push(...tasks);
      }
      H[k] = h;
    }
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  test('the seed has every category, execution type and final status', () => {
    const runs = Object.values(H).flatMap((h) => h.runs);
    const types = new Set(runs.map((r) => r.workflowExecutionType));
    for (const t of ['scheduled', 'onDemand', 'activatedWithScope', 'preview']) assert.ok(types.has(t), `no ${t} run`);
    const st = new Set(runs.map((r) => r.processingStatus));
    for (const s of ['completed', 'completedWithErrors', 'failed']) assert.ok(st.has(s), `no ${s} run`);
    assert.ok(runs.every((r) => FINAL.includes(r.processingStatus)), 'every seeded run is final');
    const us = new Set(Object.values(H).flatMap((h) => h.users.map((u) => u.processingStatus)));
    for (const s of ['completed', 'completedWithErrors', 'failed', 'canceled']) assert.ok(us.has(s), `no ${s} user result`);
    assert.equal(H.wait.byRun[seed.runs.canceled].run.processingStatus, 'canceled', 'the canceled run');
    assert.ok(H.wait.byRun[seed.runs.canceled].users.every((u) => u.processingStatus === 'canceled'), 'the canceled run has canceled users');
  });

  test("each run's counters equal its user and task results; workflow-level lists are the union of the runs'", () => {
    for (const [k, h] of Object.entries(H)) {
      for (const r of Object.values(h.byRun)) assertCountersMatch(r);
      assert.deepEqual(ids(h.users).sort(), Object.values(h.byRun).flatMap((r) => ids(r.users)).sort(), `${k}: userProcessingResults = union of the runs'`);
    }
  });

  test('every GET route of spec 5.4 answers 200 with the right shape, and get agrees with list', async () => {
    const w = seed.wf.fail.id;
    const run = H.fail.byRun[seed.runs.fail];
    const ur = run.users[0];
    const tr = run.tasks.find((t) => t.subject.id === ur.subject.id);
    const p = `${WFS}/${w}`;
    const get = async (path, headers = ENUMS) => {
      const r = await d.api('GET', path, { headers });
      expectStatus(r, 200, `GET ${path}`);
      assert.equal(r.headers.get('content-type'), 'application/json', `${path}: content-type`);
      assert.ok(r.json['@odata.context'], `${path}: @odata.context`);
      return r.json;
    };
    assert.deepEqual(bare(await get(`${p}/runs/${run.run.id}`)), run.run, 'run get = list item');
    assert.deepEqual(bare(await get(`${p}/runs/${run.run.id}/userProcessingResults/${ur.id}`)), ur);
    assert.deepEqual(bare(await get(`${p}/userProcessingResults/${ur.id}`)), ur);
    const urTasks = (await get(`${p}/runs/${run.run.id}/userProcessingResults/${ur.id}/taskProcessingResults`)).value;
    const urTasks2 = await all(d, `${p}/userProcessingResults/${ur.id}/taskProcessingResults`);
    assert.deepEqual(ids(urTasks2).sort(), ids(run.tasks.filter((t) => t.subject.id === ur.subject.id)).sort(), "a user result's tasks");
    assert.deepEqual(ids(urTasks).sort(), ids(urTasks2).sort());
    const byTask = await all(d, `${p}/tasks/${tr.task.id}/taskProcessingResults`);
    assert.deepEqual(ids(byTask).sort(), ids(H.fail.tasks.filter((t) => t.task.id === tr.task.id)).sort(), "a task's results over all runs");
    assert.deepEqual(bare(await get(`${p}/tasks/${tr.task.id}/taskProcessingResults/${tr.id}`)), tr);
    // subjectProcessingResults: the user results, as subjects.
    const subj = await all(d, `${p}/runs/${run.run.id}/subjectProcessingResults`);
    assert.deepEqual(ids(subj).sort(), ids(run.users).sort());
    for (const s of subj) {
      assert.equal(s.subjectType, 'user');
      assert.match(s.subject['@odata.type'], /directoryObjectWorkflowSubject$/);
    }
    const one = await get(`${p}/runs/${run.run.id}/subjectProcessingResults/${ur.id}`);
    assert.equal(one.id, ur.id);
    assert.deepEqual(ids(await all(d, `${p}/subjectProcessingResults`)).sort(), ids(H.fail.users).sort());
    // taskReports: one per task per run.
    const reports = await all(d, `${p}/taskReports`);
    const pairs = new Set(H.fail.tasks.map((t) => `${H.fail.runs.find((r) => H.fail.byRun[r.id].tasks.includes(t)).id}|${t.task.id}`));
    assert.equal(reports.length, pairs.size, 'one taskReport per (run, task)');
    // Function names may be fully qualified.
    await get(fn(`${p}/runs`, 'microsoft.graph.identityGovernance.summary', t0, t1));
    await get(fn(`${INS}`, 'microsoft.graph.identityGovernance.workflowsProcessedSummary', t0, t1));
    // Unknown ids -> 404 with the envelope.
    expectGraphError(await d.api('GET', `${p}/runs/00000000-0000-0000-0000-000000000000`), 404);
    expectGraphError(await d.api('GET', `${p}/userProcessingResults/nope`), 404);
    expectGraphError(await d.api('GET', `${WFS}/00000000-0000-0000-0000-000000000000/runs`), 404);
    // A result of another run / workflow is not reachable through this one.
    const other = H.err.users[0];
    expectGraphError(await d.api('GET', `${p}/runs/${run.run.id}/userProcessingResults/${other.id}`), 404);
    expectGraphError(await d.api('GET', `${p}/userProcessingResults/${other.id}`), 404);
    // Global Reader reads everything.
    expectStatus(await d.api('GET', `${p}/runs`, { token: reader }), 200);
    expectStatus(await d.api('GET', fn(`${INS}`, 'topTasksProcessedSummary', t0, t1), { token: reader }), 200);
  });

  test('taskReports/{id}/taskProcessingResults lists the results of that task in that run (spec 1, 5.4)', async () => {
    const w = seed.wf.err.id;
    const rep = (await all(d, `${WFS}/${w}/taskReports`))[0];
    const r = await d.api('GET', `${WFS}/${w}/taskReports/${rep.id}/taskProcessingResults`, { headers: ENUMS });
    expectStatus(r, 200, 'GET taskReports/{id}/taskProcessingResults');
    const want = H.err.byRun[rep.runId].tasks.filter((t) => t.task.id === rep.task?.id);
    assert.deepEqual(ids(r.json.value).sort(), ids(want).sort());
  });

  test('taskReports: counters equal the task results of each (run, task)', async () => {
    for (const [k, h] of Object.entries(H)) {
      const reports = await all(d, `${WFS}/${seed.wf[k].id}/taskReports`);
      for (const rep of reports) {
        const ts = h.byRun[rep.runId].tasks.filter((t) => rep.task && t.task.id === rep.task.id);
        assert.equal(rep.totalUsersCount, ts.length, `${k} report ${rep.id}: totalUsersCount`);
        assert.equal(rep.successfulUsersCount, ts.filter((t) => t.processingStatus === 'completed').length, `${k} ${rep.id}: successful`);
        assert.equal(rep.failedUsersCount, ts.filter((t) => t.processingStatus === 'failed').length, `${k} ${rep.id}: failed`);
        assert.equal(rep.unprocessedUsersCount, ts.filter((t) => !['completed', 'failed'].includes(t.processingStatus)).length, `${k} ${rep.id}: unprocessed`);
      }
    }
  });

  // ------------------------------------------------------------- filters

  /** Compare a filtered list with the client-side filter of the full list. */
  async function checkFilter(path, full, filter, pred, { orderby } = {}) {
    const q = `${path}?$filter=${encodeURIComponent(filter)}${orderby ? `&$orderby=${encodeURIComponent(orderby)}` : ''}`;
    const got = await all(d, q);
    const want = full.filter(pred);
    assert.deepEqual(ids(got).sort(), ids(want).sort(), `$filter=${filter} on ${path}: got ${got.length}, expected ${want.length}`);
    return got;
  }
  const cmp = { lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b, eq: (a, b) => a === b, ne: (a, b) => a !== b };
  /** OData comparison with null: null eq x false, null ne x true, ordering ops false. */
  const odataCmp = (op, v, lit) => (v == null ? op === 'ne' : cmp[op](Date.parse(v), Date.parse(lit)));

  test('runs: $filter on processingStatus, workflowExecutionType (evolvable values too) and every date (lt..ne); $orderby each', async () => {
    const w = seed.wf.fail.id;
    const path = `${WFS}/${w}/runs`;
    const full = H.fail.runs;
    for (const s of ['failed', 'completed', 'completedWithErrors']) {
      await checkFilter(path, full, `processingStatus eq '${s}'`, (r) => r.processingStatus === s);
      await checkFilter(path, full, `processingStatus ne '${s}'`, (r) => r.processingStatus !== s);
    }
    await checkFilter(path, full, "workflowExecutionType eq 'onDemand'", (r) => r.workflowExecutionType === 'onDemand');
    await checkFilter(path, full, "workflowExecutionType eq 'activatedWithScope'", (r) => r.workflowExecutionType === 'activatedWithScope');
    await checkFilter(path, full, "workflowExecutionType ne 'onDemand'", (r) => r.workflowExecutionType !== 'onDemand');
    await checkFilter(`${WFS}/${seed.wf.ok.id}/runs`, H.ok.runs, "workflowExecutionType eq 'preview'", (r) => r.workflowExecutionType === 'preview');
    const mid = full.map((r) => r.scheduledDateTime).sort()[1];
    for (const prop of ['scheduledDateTime', 'startedDateTime', 'completedDateTime', 'lastUpdatedDateTime']) {
      const lit = H.fail.byRun[seed.runs.reprocessRun].run[prop] || mid;
      for (const op of ['lt', 'le', 'gt', 'ge', 'eq', 'ne']) {
        await checkFilter(path, full, `${prop} ${op} ${lit}`, (r) => odataCmp(op, r[prop], lit));
      }
    }
    for (const prop of ['processingStatus', 'workflowExecutionType', 'scheduledDateTime', 'startedDateTime', 'completedDateTime', 'lastUpdatedDateTime']) {
      for (const dir of ['asc', 'desc']) {
        const got = await all(d, `${path}?$orderby=${prop} ${dir}`);
        assert.equal(got.length, full.length, `$orderby=${prop} ${dir}: every run once`);
        const vals = got.map((r) => r[prop]);
        const sorted = [...vals].sort();
        if (dir === 'desc') sorted.reverse();
        assert.deepEqual(vals, sorted, `$orderby=${prop} ${dir}`);
      }
    }
  });

  test('userProcessingResults: $filter (processingStatus, workflowExecutionType lt..ne, dates, id, subject/id), $orderby, $expand=subject', async () => {
    for (const k of ['fail', 'ok']) {
      const path = `${WFS}/${seed.wf[k].id}/userProcessingResults`;
      const full = H[k].users;
      for (const s of ['failed', 'completed', 'canceled', 'completedWithErrors']) {
        await checkFilter(path, full, `processingStatus eq '${s}'`, (u) => u.processingStatus === s);
        await checkFilter(path, full, `processingStatus ne '${s}'`, (u) => u.processingStatus !== s);
      }
      for (const t of ['onDemand', 'preview', 'activatedWithScope', 'scheduled']) {
        await checkFilter(path, full, `workflowExecutionType eq '${t}'`, (u) => u.workflowExecutionType === t);
        await checkFilter(path, full, `workflowExecutionType ne '${t}'`, (u) => u.workflowExecutionType !== t);
      }
      for (const op of ['lt', 'le', 'gt', 'ge']) {
        const r = await d.api('GET', `${path}?$filter=${encodeURIComponent(`workflowExecutionType ${op} 'onDemand'`)}`);
        expectStatus(r, 200, `workflowExecutionType ${op} (documented as supported)`);
      }
      const lit = full.map((u) => u.completedDateTime).sort()[Math.floor(full.length / 2)];
      for (const prop of ['scheduledDateTime', 'startedDateTime', 'completedDateTime']) {
        for (const op of ['lt', 'le', 'gt', 'ge', 'eq', 'ne']) {
          await checkFilter(path, full, `${prop} ${op} ${lit}`, (u) => odataCmp(op, u[prop], lit));
        }
      }
      const u0 = full[0];
      await checkFilter(path, full, `id eq '${u0.id}'`, (u) => u.id === u0.id);
      await checkFilter(path, full, `id ne '${u0.id}'`, (u) => u.id !== u0.id);
      await checkFilter(path, full, `subject/id eq '${u0.subject.id}'`, (u) => u.subject.id === u0.subject.id);
      await checkFilter(path, full, `subject/id eq '${u0.subject.id.toUpperCase()}'`, (u) => u.subject.id === u0.subject.id);
      await checkFilter(path, full, `subject/id ne '${u0.subject.id}'`, (u) => u.subject.id !== u0.subject.id);
      await checkFilter(path, full, "processingStatus eq 'failed' and workflowExecutionType eq 'onDemand'",
        (u) => u.processingStatus === 'failed' && u.workflowExecutionType === 'onDemand');
      for (const prop of ['id', 'processingStatus', 'scheduledDateTime', 'startedDateTime', 'completedDateTime', 'workflowExecutionType']) {
        for (const dir of ['asc', 'desc']) {
          const got = await all(d, `${path}?$orderby=${prop} ${dir}`);
          assert.equal(new Set(ids(got)).size, full.length, `$orderby=${prop} ${dir}: every result once`);
          const vals = got.map((u) => u[prop]);
          const sorted = [...vals].sort();
          if (dir === 'desc') sorted.reverse();
          assert.deepEqual(vals, sorted, `${k}: $orderby=${prop} ${dir}`);
        }
      }
    }
    // $expand=subject inlines the user (id, displayName, userPrincipalName).
    const ex = await all(d, `${WFS}/${seed.wf.fail.id}/userProcessingResults?$expand=subject`);
    for (const u of ex) {
      assert.equal(typeof u.subject.displayName, 'string', '$expand=subject: displayName');
      assert.match(u.subject.userPrincipalName, /@/, '$expand=subject: userPrincipalName');
    }
    const one = await d.api('GET', `${WFS}/${seed.wf.fail.id}/userProcessingResults/${ex[0].id}?$expand=subject`);
    expectStatus(one, 200);
    assert.equal(one.json.subject.displayName, ex[0].subject.displayName);
  });

  test('taskProcessingResults: $filter (processingStatus, dates with nulls, subject/id, task/id), $orderby, $expand=subject,task', async () => {
    const run = H.fail.byRun[seed.runs.fail];
    const path = `${WFS}/${seed.wf.fail.id}/runs/${seed.runs.fail}/taskProcessingResults`;
    const full = run.tasks;
    assert.ok(full.some((t) => t.startedDateTime === null), 'canceled tasks never started');
    for (const s of ['failed', 'completed', 'canceled']) {
      await checkFilter(path, full, `processingStatus eq '${s}'`, (t) => t.processingStatus === s);
      await checkFilter(path, full, `processingStatus ne '${s}'`, (t) => t.processingStatus !== s);
    }
    const lit = full.map((t) => t.createdDateTime).sort()[Math.floor(full.length / 2)];
    for (const prop of ['createdDateTime', 'startedDateTime', 'completedDateTime']) {
      for (const op of ['lt', 'le', 'gt', 'ge', 'eq', 'ne']) {
        await checkFilter(path, full, `${prop} ${op} ${lit}`, (t) => odataCmp(op, t[prop], lit));
      }
    }
    const t0_ = full[0];
    await checkFilter(path, full, `subject/id eq '${t0_.subject.id}'`, (t) => t.subject.id === t0_.subject.id);
    await checkFilter(path, full, `task/id eq '${t0_.task.id}'`, (t) => t.task.id === t0_.task.id);
    for (const prop of ['id', 'processingStatus', 'createdDateTime', 'completedDateTime']) {
      const got = await all(d, `${path}?$orderby=${prop} desc`);
      const vals = got.map((t) => t[prop]);
      assert.deepEqual(vals, [...vals].sort().reverse(), `$orderby=${prop} desc`);
    }
    const ex = await all(d, `${path}?$expand=subject,task`);
    assert.equal(ex.length, full.length);
    for (const t of ex) {
      assert.equal(typeof t.subject.displayName, 'string', '$expand=subject');
      assert.equal(typeof t.task.displayName, 'string', '$expand=task');
    }
  });

  test('taskReports: $filter and $orderby on the documented properties', async () => {
    const path = `${WFS}/${seed.wf.fail.id}/taskReports`;
    const full = await all(d, path);
    const r0 = full[0];
    await checkFilter(path, full, `id eq '${r0.id}'`, (r) => r.id === r0.id);
    await checkFilter(path, full, `processingStatus eq '${r0.processingStatus}'`, (r) => r.processingStatus === r0.processingStatus);
    await checkFilter(path, full, `runId eq '${r0.runId}'`, (r) => r.runId === r0.runId);
    await checkFilter(path, full, `totalUsersCount ge 2`, (r) => r.totalUsersCount >= 2);
    await checkFilter(path, full, `completedDateTime ge ${r0.completedDateTime}`, (r) => r.completedDateTime != null && r.completedDateTime >= r0.completedDateTime);
    await checkFilter(path, full, `task/id eq '${r0.task.id}'`, (r) => r.task?.id === r0.task.id);
    for (const prop of ['totalUsersCount', 'failedUsersCount', 'completedDateTime']) {
      const got = await all(d, `${path}?$orderby=${prop} desc`);
      const vals = got.map((r) => r[prop]);
      assert.deepEqual(vals, [...vals].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)), `$orderby=${prop} desc`);
    }
  });

  test('$top, $count and $select on history lists', async () => {
    const path = `${WFS}/${seed.wf.ok.id}/userProcessingResults`;
    const full = H.ok.users;
    const r = await d.api('GET', `${path}?$top=3&$count=true`, { headers: ENUMS });
    expectStatus(r, 200);
    assert.equal(r.json.value.length, 3, '$top=3');
    assert.equal(r.json['@odata.count'], full.length, '@odata.count ignores $top');
    const c = await d.api('GET', `${path}?$count=true&$filter=${encodeURIComponent("processingStatus eq 'canceled'")}`);
    assert.equal(c.json['@odata.count'], full.filter((u) => u.processingStatus === 'canceled').length, '@odata.count with $filter');
    const topAll = await all(d, `${path}?$top=3`);
    assert.deepEqual(ids(topAll).sort(), ids(full).sort(), '$top pages reach every item');
    const s = await d.api('GET', `${path}?$select=id,processingStatus,subject`);
    expectStatus(s, 200);
    for (const u of s.json.value) assert.deepEqual(Object.keys(u).sort(), ['id', 'processingStatus', 'subject'], '$select');
    const rs = await d.api('GET', `${WFS}/${seed.wf.ok.id}/runs?$select=id,totalUsersCount&$count=true`);
    expectStatus(rs, 200);
    assert.equal(rs.json['@odata.count'], H.ok.runs.length);
    for (const x of rs.json.value) assert.deepEqual(Object.keys(x).sort(), ['id', 'totalUsersCount']);
    const one = await d.api('GET', `${WFS}/${seed.wf.ok.id}/runs/${seed.runs.ok2}?$select=failedUsersCount`);
    assert.deepEqual(bare(one.json), { id: seed.runs.ok2, failedUsersCount: 0 }, '$select on a get (the key always comes back)');
  });

  test('evolvable enum values are masked without Prefer: include-unknown-enum-members, and filters accept them regardless', async () => {
    const path = `${WFS}/${seed.wf.ok.id}/runs?$filter=${encodeURIComponent("workflowExecutionType eq 'preview'")}`;
    const masked = await d.api('GET', path);
    expectStatus(masked, 200);
    assert.equal(masked.json.value.length, 1);
    assert.equal(masked.json.value[0].workflowExecutionType, 'unknownFutureValue');
    const shown = await d.api('GET', path, { headers: ENUMS });
    assert.equal(shown.json.value[0].workflowExecutionType, 'preview');
  });

  // ----------------------------------------------------------- summaries

  test('summaries equal the counts computed from the listed rows, over the whole window and split windows', async () => {
    for (const [k, h] of Object.entries(H)) {
      const p = `${WFS}/${seed.wf[k].id}`;
      const get = async (path) => { const r = await d.api('GET', path); expectStatus(r, 200, path); return bare(r.json); };
      assert.deepEqual(await get(fn(`${p}/runs`, 'summary', t0, t1)), runSummaryOf(h.runs, h.users), `${k}: runs/summary`);
      assert.deepEqual(await get(fn(`${p}/userProcessingResults`, 'summary', t0, t1)), userSummaryOf(h.users), `${k}: userProcessingResults/summary`);
      assert.deepEqual(await get(fn(`${p}/taskReports`, 'summary', t0, t1)), taskSummaryOf(h.tasks), `${k}: taskReports/summary`);
      for (const r of Object.values(h.byRun)) {
        const u = userSummaryOf(r.users);
        assert.deepEqual(await get(fn(`${p}/runs/${r.run.id}/subjectProcessingResults`, 'summary', t0, t1)), {
          failedSubjects: u.failedUsers, failedTasks: u.failedTasks, successfulSubjects: u.successfulUsers,
          totalSubjects: u.totalUsers, totalTasks: u.totalTasks,
        }, `${k}: run ${r.run.id} subject summary`);
      }
      // Split at a run's scheduled time: [t0, cut) + [cut, t1), each equal to the rows in it.
      const cut = Date.parse(h.runs.map((r) => r.scheduledDateTime).sort()[Math.floor(h.runs.length / 2)]);
      for (const [a, b] of [[t0, cut], [cut, t1]]) {
        const inW = (x) => Date.parse(x.scheduledDateTime) >= a && Date.parse(x.scheduledDateTime) < b;
        const runsIn = h.runs.filter(inW);
        const usersIn = h.users.filter(inW);
        assert.deepEqual(await get(fn(`${p}/runs`, 'summary', a, b)), runSummaryOf(runsIn, usersIn), `${k}: runs/summary [${iso(a)}, ${iso(b)})`);
        assert.deepEqual(await get(fn(`${p}/userProcessingResults`, 'summary', a, b)), userSummaryOf(usersIn), `${k}: user summary split`);
      }
      // A window that excludes everything -> zeros.
      const z = await get(fn(`${p}/runs`, 'summary', t0 - 10 * DAY, t0 - 9 * DAY));
      assert.ok(Object.values(z).every((v) => v === 0), `${k}: empty window: ${JSON.stringify(z)}`);
    }
  });

  test('reprocess: a reprocessed user counts in its new run; the source run is unchanged; lineage is listed', async () => {
    const src = H.fail.byRun[seed.runs.fail];
    const again = H.fail.byRun[seed.runs.reprocessRun];
    assert.deepEqual(again.users.map((u) => u.subject.id).sort(),
      src.users.filter((u) => ['failed', 'completedWithErrors'].includes(u.processingStatus)).map((u) => u.subject.id).sort(),
      'failedUsers scope: the failed users of the source run');
    assert.ok(again.users.every((u) => u.workflowExecutionType === 'activatedWithScope'));
    assert.equal(src.run.totalUsersCount, src.users.length, 'the source run keeps its own users');
    assert.ok(ids(await runLineage(d, seed.wf.fail.id, seed.runs.fail)).includes(seed.runs.reprocessRun), 'run lineage');
    assert.ok(ids(await resultLineage(d, seed.wf.fail.id, seed.runs.reprocessedResultId)).includes(seed.runs.reprocessResult), 'result lineage');
  });

  // ------------------------------------------------------------ insights

  test('insights over a window equal the counts of every workflow; an empty window gives zeros', async () => {
    const live = Object.keys(H);
    const runs = live.flatMap((k) => H[k].runs);
    const users = live.flatMap((k) => H[k].users);
    const tasks = live.flatMap((k) => H[k].tasks);
    const get = async (name, a = t0, b = t1) => { const r = await d.api('GET', fn(INS, name, a, b), { headers: ENUMS }); expectStatus(r, 200, name); return r.json; };
    const u = userSummaryOf(users);
    const t = taskSummaryOf(tasks);
    const rs = runSummaryOf(runs, users);
    assert.deepEqual(bare(await get('workflowsProcessedSummary')), {
      totalRuns: rs.totalRuns, successfulRuns: rs.successfulRuns, failedRuns: rs.failedRuns,
      totalUsers: u.totalUsers, successfulUsers: u.successfulUsers, failedUsers: u.failedUsers,
      totalTasks: u.totalTasks, successfulTasks: t.successfulTasks, failedTasks: u.failedTasks,
    }, 'workflowsProcessedSummary');
    const byCat = bare(await get('workflowsProcessedByCategory'));
    for (const [cat, Name] of [['joiner', 'Joiner'], ['leaver', 'Leaver'], ['mover', 'Mover']]) {
      const rsC = runs.filter((r) => live.some((k) => CAT[k] === cat && H[k].runs.includes(r)));
      assert.equal(byCat[`total${Name}Runs`], rsC.length, `total${Name}Runs`);
      assert.equal(byCat[`successful${Name}Runs`], rsC.filter((r) => r.processingStatus === 'completed').length, `successful${Name}Runs`);
      assert.equal(byCat[`failed${Name}Runs`], rsC.filter((r) => ['failed', 'completedWithErrors'].includes(r.processingStatus)).length, `failed${Name}Runs`);
    }
    const top = (await get('topWorkflowsProcessedSummary')).value;
    assert.ok(top.length <= 10);
    for (const row of top) {
      const k = live.find((x) => seed.wf[x].id === row.workflowId);
      assert.ok(k, `topWorkflowsProcessedSummary lists ${row.workflowId} (${row.workflowDisplayName}), which processed nothing in the window`);
      const s = runSummaryOf(H[k].runs, H[k].users);
      const us = userSummaryOf(H[k].users);
      assert.deepEqual({ totalRuns: row.totalRuns, successfulRuns: row.successfulRuns, failedRuns: row.failedRuns, totalUsers: row.totalUsers, successfulUsers: row.successfulUsers, failedUsers: row.failedUsers },
        { totalRuns: s.totalRuns, successfulRuns: s.successfulRuns, failedRuns: s.failedRuns, totalUsers: us.totalUsers, successfulUsers: us.successfulUsers, failedUsers: us.failedUsers }, `top workflow ${k}`);
      assert.equal(row.workflowCategory, CAT[k]);
    }
    const topRuns = top.map((x) => x.totalRuns);
    assert.deepEqual(topRuns, [...topRuns].sort((a, b) => b - a), 'top workflows by runs, descending');
    const tt = (await get('topTasksProcessedSummary')).value;
    // A user counts once per run for a task definition: (run, user) pairs.
    const runOf = new Map(live.flatMap((k) => Object.values(H[k].byRun).flatMap((r) => r.tasks.map((x) => [x.id, r.run.id]))));
    const pairs = (ts) => new Set(ts.map((x) => `${runOf.get(x.id)}|${x.subject.id}`)).size;
    assert.ok(tt.length > 0 && tt.length <= 10, 'topTasksProcessedSummary lists the window\'s task definitions');
    for (const row of tt) {
      const ts = tasks.filter((x) => x.task.taskDefinitionId.toLowerCase() === row.taskDefinitionId.toLowerCase());
      assert.equal(row.totalTasks, ts.length, `top task ${row.taskDefinitionDisplayName}: totalTasks`);
      assert.equal(row.successfulTasks, ts.filter((x) => x.processingStatus === 'completed').length, 'successfulTasks');
      assert.equal(row.failedTasks, ts.filter((x) => x.processingStatus === 'failed').length, 'failedTasks');
      assert.equal(row.totalUsers, pairs(ts), `top task ${row.taskDefinitionDisplayName}: totalUsers`);
      assert.equal(row.successfulUsers, pairs(ts.filter((x) => x.processingStatus === 'completed')), 'successfulUsers');
      assert.equal(row.failedUsers, pairs(ts.filter((x) => x.processingStatus === 'failed')), 'failedUsers');
    }
    const topTotals = tt.map((x) => x.totalTasks);
    assert.deepEqual(topTotals, [...topTotals].sort((a, b) => b - a), 'top tasks by tasks processed, descending');
    // Empty window: zeros and empty lists.
    const a = t0 - 30 * DAY, b = t0 - 20 * DAY;
    assert.ok(Object.values(bare(await get('workflowsProcessedSummary', a, b))).every((v) => v === 0), 'empty window: summary zeros');
    assert.ok(Object.values(bare(await get('workflowsProcessedByCategory', a, b))).every((v) => v === 0), 'empty window: by category zeros');
    assert.deepEqual((await get('topTasksProcessedSummary', a, b)).value, [], 'empty window: no top tasks');
    const emptyTop = (await get('topWorkflowsProcessedSummary', a, b)).value;
    assert.deepEqual(emptyTop.filter((x) => x.totalRuns > 0), [], 'empty window: no workflow with runs');
    assert.deepEqual(emptyTop, [], 'empty window: topWorkflowsProcessedSummary lists no workflow (none was processed)');
  });

  // ---------------------------------------------------------------- 400s

  test('invalid windows, function parameters and query options -> 400 with the envelope', async () => {
    const p = `${WFS}/${seed.wf.fail.id}`;
    const now = Date.now();
    const bad = [
      `${p}/runs/summary(startDateTime=${iso(now)},endDateTime=${iso(now - DAY)})`,
      `${p}/userProcessingResults/summary(startDateTime=yesterday,endDateTime=${iso(now)})`,
      `${p}/taskReports/summary(startDateTime=${iso(now)},endDateTime=2026-13-45T99:00:00Z)`,
      `${p}/runs/summary(startDateTime=${iso(now)})`,
      `${p}/runs/summary()`,
      `${p}/runs/summary(startDateTime=${iso(now - DAY)},endDateTime=${iso(now)},top=3)`,
      `${p}/runs/summary(since=${iso(now - DAY)},endDateTime=${iso(now)})`,
      `${INS}/workflowsProcessedSummary(startDateTime=${iso(now)},endDateTime=${iso(now - DAY)})`,
      `${INS}/topTasksProcessedSummary(startDateTime=not-a-date,endDateTime=${iso(now)})`,
      `${p}/runs/${seed.runs.fail}/subjectProcessingResults/summary(startDateTime=${iso(now)},endDateTime=${iso(now - 1000)})`,
    ];
    const wrongFn = [];
    for (const u of bad) {
      const r = await d.api('GET', u);
      if (r.status !== 400) wrongFn.push(`${u} -> ${r.status}`);
      else expectGraphError(r, 400);
    }
    assert.deepEqual(wrongFn, [], 'invalid windows or parameters accepted');
    const badQ = [
      `${p}/runs?$filter=${encodeURIComponent('totalUsersCount gt 1')}`,
      `${p}/runs?$filter=${encodeURIComponent("processingStatus eq ")}`,
      `${p}/runs?$filter=${encodeURIComponent('completedDateTime ge yesterday')}`,
      `${p}/userProcessingResults?$filter=${encodeURIComponent("subject/displayName eq 'x'")}`,
      `${p}/runs/${seed.runs.fail}/taskProcessingResults?$filter=${encodeURIComponent("failureReason eq 'x'")}`,
      `${p}/runs?$orderby=${encodeURIComponent('totalUsersCount desc')}`,
      `${p}/userProcessingResults?$expand=nope`,
      `${p}/userProcessingResults?$top=-1`,
      `${p}/userProcessingResults?$top=abc`,
      `${p}/userProcessingResults?$skiptoken=garbage`,
      `${p}/userProcessingResults?$count=maybe`,
      `${p}/userProcessingResults?$search=x`,
      `${p}/taskReports?$filter=${encodeURIComponent("nope eq 1")}`,
    ];
    const wrong = [];
    for (const u of badQ) {
      const r = await d.api('GET', u);
      if (r.status !== 400) wrong.push(`${decodeURIComponent(u.slice(p.length))} -> ${r.status}`);
      else expectGraphError(r, 400);
    }
    assert.deepEqual(wrong, [], 'invalid query options accepted');
    // Export validates before streaming.
    const e = await d.api('GET', `${p}/userProcessingResults?$filter=${encodeURIComponent('nope eq 1')}`, { headers: { Accept: 'text/csv' } });
    expectGraphError(e, 400);
  });

  // -------------------------------------------------------------- export

  async function exportRows(path, accept) {
    const r = await d.api('GET', path, { headers: { Accept: accept } });
    expectStatus(r, 200, `export ${accept} ${path}`);
    const ct = r.headers.get('content-type') || '';
    assert.ok(ct.startsWith(accept), `content-type ${ct}`);
    if (accept === 'text/csv') {
      const rows = parseCsv(r.text);
      assert.ok(r.text.endsWith('\r\n'), 'CSV ends with CRLF');
      const [head, ...body] = rows;
      return { head, rows: body.map((row) => Object.fromEntries(head.map((h, i) => [h, row[i]]))) };
    }
    const lines = r.text.split('\n');
    assert.equal(lines.pop(), '', 'NDJSON ends with a newline');
    const rows = lines.map((l, i) => { try { return JSON.parse(l); } catch { assert.fail(`NDJSON line ${i + 1} is not JSON: ${l}`); } });
    return { head: rows.length ? Object.keys(rows[0]) : [], rows };
  }

  /** Export `path` both ways and compare with the paged JSON (same rows, same order, same values). */
  async function checkExport(path, { expand } = {}) {
    const sep = path.includes('?') ? '&' : '?';
    const json = await all(d, expand ? `${path}${sep}$expand=${expand}` : path);
    for (const accept of ['text/csv', 'application/x-ndjson']) {
      const { head, rows } = await exportRows(path, accept);
      assert.deepEqual(rows.map((x) => x.id), ids(json), `${accept} ${path}: same rows in the same order as the paged JSON`);
      assert.ok(head.includes('id'));
      for (let i = 0; i < json.length; i++) {
        for (const col of head) {
          const want = flat(json[i], col);
          if (accept === 'text/csv') assert.equal(rows[i][col], csvText(want), `${accept} ${path} row ${i} ${col}`);
          else assert.deepEqual(rows[i][col], want === undefined ? null : want, `${accept} ${path} row ${i} ${col}`);
        }
      }
    }
    return json.length;
  }

  test('CSV and NDJSON export of run, user and task lists equal the paged JSON; RFC 4180 quoting', async () => {
    const p = `${WFS}/${seed.wf.fail.id}`;
    // failureReason of the canceled tasks names the failed task: comma and quotes.
    const quoted = H.fail.tasks.filter((t) => (t.failureReason || '').includes(STRICT_NAME));
    assert.ok(quoted.length > 0, 'a failureReason holds a comma and quotes');
    const csv = await d.api('GET', `${p}/runs/${seed.runs.fail}/taskProcessingResults`, { headers: { Accept: 'text/csv' } });
    assert.ok(csv.text.includes('"Not run: task \'Add to groups, ""strict""\''), 'the quoted field is written RFC 4180 style');
    let n = 0;
    n += await checkExport(`${p}/runs/${seed.runs.fail}/taskProcessingResults`, { expand: 'subject' });
    n += await checkExport(`${p}/userProcessingResults`, { expand: 'subject' });
    n += await checkExport(`${p}/runs/${seed.runs.fail}/userProcessingResults`, { expand: 'subject' });
    n += await checkExport(`${p}/userProcessingResults?$filter=${encodeURIComponent("processingStatus eq 'failed'")}`, { expand: 'subject' });
    n += await checkExport(`${WFS}/${seed.wf.ok.id}/userProcessingResults?$orderby=${encodeURIComponent('completedDateTime desc')}`, { expand: 'subject' });
    n += await checkExport(`${p}/runs?$orderby=${encodeURIComponent('scheduledDateTime asc')}`);
    n += await checkExport(`${WFS}/${seed.wf.ok.id}/runs?$orderby=${encodeURIComponent('scheduledDateTime desc')}`);
    // Without $orderby the JSON list is newest first: the export must be in the same order.
    n += await checkExport(`${WFS}/${seed.wf.ok.id}/runs`);
    assert.ok(n > 60, `exported ${n} rows`);
  });

  test('export: $select picks the columns (subject and task flattened to id and displayName), every row regardless of paging', async () => {
    const path = `${WFS}/${seed.wf.ok.id}/userProcessingResults?$select=id,processingStatus,subject`;
    const { head, rows } = await exportRows(path, 'text/csv');
    assert.deepEqual(head, ['id', 'processingStatus', 'subject.id', 'subject.displayName']);
    assert.equal(rows.length, H.ok.users.length, 'every row, not one page (LCW_PAGE_SIZE=4)');
    assert.ok(rows.some((r) => r['subject.displayName'].startsWith('Doe, Jane "J')), 'a display name with a comma and quotes survives');
    const t = await exportRows(`${WFS}/${seed.wf.ok.id}/runs/${seed.runs.ok2}/taskProcessingResults?$select=id,task,failureReason`, 'application/x-ndjson');
    assert.deepEqual(t.head, ['id', 'task.id', 'task.displayName', 'failureReason']);
    assert.equal(t.rows.length, H.ok.byRun[seed.runs.ok2].tasks.length);
  });

  test('export of taskReports streams every report $filter keeps, in $orderby order, with the $select columns', async () => {
    const base = `${WFS}/${seed.wf.fail.id}/taskReports`;
    const r = await d.api('GET', base, { headers: { Accept: 'text/csv' } });
    expectStatus(r, 200);
    assert.ok((r.headers.get('content-type') || '').startsWith('text/csv'), `taskReports with Accept: text/csv answered ${r.headers.get('content-type')}`);
    const n = await checkExport(base);
    assert.equal(n, (await all(d, base)).length);
    const filtered = `${base}?$filter=${encodeURIComponent('failedUsersCount ge 1')}&$orderby=${encodeURIComponent('totalUsersCount desc')}`;
    const kept = await checkExport(filtered);
    assert.ok(kept > 0 && kept < n, `the filter keeps some reports (${kept} of ${n})`);
    const { head, rows } = await exportRows(`${filtered}&$select=id,task,failedUsersCount`, 'text/csv');
    assert.deepEqual(head, ['id', 'task.id', 'task.displayName', 'failedUsersCount']);
    assert.equal(rows.length, kept);
    assert.ok(rows.every((x) => Number(x.failedUsersCount) >= 1));
    // A bad option is a 400 with the envelope, not a partial stream.
    expectGraphError(await d.api('GET', `${base}?$filter=${encodeURIComponent('nope eq 1')}`, { headers: { Accept: 'text/csv' } }), 400);
    expectGraphError(await d.api('GET', `${base}?$orderby=task/id`, { headers: { Accept: 'application/x-ndjson' } }), 400);
  });

  // --------------------------------------------------- deleted workflows

  test("a deleted workflow's history is readable under deletedItems until it is purged, then 404", async () => {
    const w = seed.wf.del.id;
    const before = await all(d, `${WFS}/${w}/runs`);
    const usersBefore = await all(d, `${WFS}/${w}/userProcessingResults`);
    expectStatus(await d.api('DELETE', `${WFS}/${w}`), 204);
    expectGraphError(await d.api('GET', `${WFS}/${w}/runs`), 404);
    const D = `${LW}/deletedItems/workflows/${w}`;
    assert.deepEqual(ids(await all(d, `${D}/runs`)), ids(before), 'deletedItems runs');
    const r = await d.api('GET', `${D}/runs/${seed.runs.del}`, { headers: ENUMS });
    expectStatus(r, 200);
    assert.deepEqual(bare(r.json), before[0]);
    assert.deepEqual(ids(await all(d, `${D}/userProcessingResults`)).sort(), ids(usersBefore).sort());
    assert.deepEqual(ids(await all(d, `${D}/runs/${seed.runs.del}/userProcessingResults`)).sort(), ids(usersBefore).sort());
    const tr = await all(d, `${D}/runs/${seed.runs.del}/taskProcessingResults`);
    assert.equal(tr.length, usersBefore.length);
    expectStatus(await d.api('GET', `${D}/userProcessingResults/${usersBefore[0].id}`), 200);
    expectStatus(await d.api('GET', `${D}/userProcessingResults/${usersBefore[0].id}/taskProcessingResults`), 200);
    expectStatus(await d.api('GET', `${D}/taskReports`), 200);
    const s = await d.api('GET', fn(`${D}/userProcessingResults`, 'summary', t0, t1));
    expectStatus(s, 200);
    assert.deepEqual(bare(s.json), userSummaryOf(usersBefore));
    const csv = await exportRows(`${D}/userProcessingResults`, 'text/csv');
    assert.equal(csv.rows.length, usersBefore.length, 'export under deletedItems');
    expectStatus(await d.api('DELETE', D), 204, 'purge');
    for (const x of ['/runs', `/runs/${seed.runs.del}`, '/userProcessingResults', '/taskReports']) {
      expectGraphError(await d.api('GET', `${D}${x}`), 404);
    }
    expectGraphError(await d.api('GET', fn(`${D}/runs`, 'summary', t0, t1)), 404);
  });
});
