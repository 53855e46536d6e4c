// SPDX-License-Identifier: MIT
//
// Helpers for the history tests (history_*.test.mjs; issue 5): seed real
// history through the API (several workflows of each category, on-demand
// runs of various sizes with failing tasks, continueOnError both ways, a
// mixed run, reprocess lineage, a preview, a canceled run, a scheduled
// run), function URLs with RFC 3339 windows, independent counters computed
// from listed rows, and RFC 4180 / NDJSON parsers for the export checks.

import assert from 'node:assert/strict';
import { expectStatus, collectAll, show } from './lcwd.mjs';
import { TD, task, joinerWorkflow, leaverWorkflow, moverWorkflow, ruleScope, timeTrigger } from './fixtures.mjs';
import {
  WFS, NS, ENUMS, FINAL, createUser, createUsers, createGroup, createSku, createWorkflow, activate,
  waitRunFinal, waitFor, listRuns, tag, sleep,
} from './engine.mjs';
import { reprocess, runScope, resultsScope, createExtension } from './reprocess.mjs';
import { startReceiver } from './peers.mjs';

export const DAY = 86400000;
export const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const MISSING_GROUP = '0badc0de-0000-4000-8000-00000000beef';
/** A task name with a comma and quotes: it reaches the failureReason of the tasks it stops. */
export const STRICT_NAME = 'Add to groups, "strict"';
export const CANCEL = (runId) => ({ scope: { '@odata.type': NS + 'cancelRunsScope', runs: [{ id: runId }] } });

/** `.../name(startDateTime=S,endDateTime=E)` with unquoted RFC 3339 literals. */
export function fn(base, name, startMs, endMs) {
  const t = (ms) => new Date(ms).toISOString(); // millisecond precision: windows cut between runs
  return `${base}/${name}(startDateTime=${t(startMs)},endDateTime=${t(endMs)})`;
}

/** Every item of a list (all pages), with the evolvable enum members unmasked. */
export async function all(d, p, { headers = ENUMS, token } = {}) {
  return (await collectAll(d, p, { headers, token, maxPages: 10000 })).items;
}

/**
 * Seed the history. Returns {wf: {fail, err, mixed, ok, wait, sched, del}, runs: {...}, users, group}.
 * Needs LCW_MAX_ACTIVATION_USERS >= 40 and LCW_SCHEDULE_INTERVAL_SECONDS=1 on `d`.
 */
export async function seedHistory(d) {
  const dept = tag('Hist');
  // Some display names carry a comma and quotes (CSV quoting of subject.displayName).
  const users = await createUsers(d, 40, (i) => ({
    displayName: i % 5 === 0 ? `Doe, Jane "J${i}"` : `Hist ${i}`, department: dept,
  }));
  const group = await createGroup(d);
  const oneUnit = await createSku(d, `ONEUNIT_${tag('s')}`, 1);
  const wf = {};
  const runs = {};

  // leaver, continueOnError false on a failing task: users failed, later tasks canceled, run failed.
  wf.fail = await createWorkflow(d, leaverWorkflow({
    tasks: [
      task(TD.disableAccount, 'Disable user account'),
      task(TD.addToGroups, STRICT_NAME, [{ name: 'groupID', value: MISSING_GROUP }], { continueOnError: false }),
      task(TD.revokeRefreshTokens, 'Revoke refresh tokens'),
    ],
  }));
  runs.fail = (await activate(d, wf.fail.id, users.slice(0, 5))).runId;
  await waitRunFinal(d, wf.fail.id, runs.fail);

  // joiner, continueOnError true on an unknown licence: users completedWithErrors.
  wf.err = await createWorkflow(d, joinerWorkflow({
    tasks: [
      task(TD.enableAccount, 'Enable user account'),
      task(TD.assignLicenses, 'Assign unknown licence', [{ name: 'licenses', value: 'NO_SUCH_SKU_E9' }], { continueOnError: true }),
      task(TD.updateUserAttributes, 'Mark joined', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'Joined' }) }]),
    ],
  }));
  runs.err = (await activate(d, wf.err.id, users.slice(5, 9))).runId;
  await waitRunFinal(d, wf.err.id, runs.err);

  // joiner, one licence unit for two users: one completed, one failed -> completedWithErrors.
  wf.mixed = await createWorkflow(d, joinerWorkflow({
    tasks: [task(TD.assignLicenses, 'Assign the one unit', [{ name: 'licenses', value: oneUnit.skuId }])],
  }));
  runs.mixed = (await activate(d, wf.mixed.id, users.slice(9, 11))).runId;
  await waitRunFinal(d, wf.mixed.id, runs.mixed);

  // mover, every task succeeds: two runs of different sizes, a preview.
  wf.ok = await createWorkflow(d, moverWorkflow({
    tasks: [
      task(TD.addToGroups, 'Add to group', [{ name: 'groupID', value: group.id }]),
      ...Array.from({ length: 6 }, (_, k) => task(TD.updateUserAttributes, `Set title ${k}`,
        [{ name: 'attributes', value: JSON.stringify({ jobTitle: `Moved ${k}` }) }])),
    ],
  }));
  runs.ok1 = (await activate(d, wf.ok.id, users.slice(11, 14))).runId;
  await waitRunFinal(d, wf.ok.id, runs.ok1);
  runs.ok2 = (await activate(d, wf.ok.id, users.slice(14, 26))).runId;
  await waitRunFinal(d, wf.ok.id, runs.ok2);
  {
    const r = await d.api('POST', `${WFS}/${wf.ok.id}/previewWorkflow`, { body: { subjects: users.slice(26, 28).map((id) => ({ id })) } });
    assert.ok(r.status === 204 || r.status === 201, `previewWorkflow: ${show(r)}`);
    runs.preview = r.headers.get('location').split('/').pop();
  }
  // A canceled run: a custom task extension in callback mode keeps the users waiting.
  const rx = await startReceiver({ maxHoldMs: 100 });
  try {
    rx.respond = () => ({ status: 202, body: {} });
    const ext = await createExtension(d, rx, {}, { mode: 'callback' });
    wf.wait = await createWorkflow(d, leaverWorkflow({
      tasks: [
        task(TD.disableAccount, 'Disable user account'),
        task(TD.customExtension, 'Wait for HR', [{ name: 'customTaskExtensionID', value: ext.id }]),
        task(TD.revokeRefreshTokens, 'Revoke refresh tokens'),
      ],
    }));
    runs.canceled = (await activate(d, wf.wait.id, users.slice(33, 36))).runId;
    await rx.waitForRequests(3);
    expectStatus(await d.api('POST', `${WFS}/${wf.wait.id}/cancelProcessing`, { body: CANCEL(runs.canceled) }), 204, 'cancelProcessing');
    await waitRunFinal(d, wf.wait.id, runs.canceled);
  } finally {
    await rx.close();
  }

  // Reprocess lineage on the failed run: the failed users (run scope), then one result.
  runs.reprocessRun = (await reprocess(d, wf.fail.id, runScope(runs.fail, 'failedUsers', 'failedTasks'))).runId;
  await waitRunFinal(d, wf.fail.id, runs.reprocessRun);
  {
    const ur = (await all(d, `${WFS}/${wf.fail.id}/runs/${runs.fail}/userProcessingResults`))[0];
    runs.reprocessResult = (await reprocess(d, wf.fail.id, resultsScope([ur.id], 'allTasks'))).runId;
    runs.reprocessedResultId = ur.id;
    await waitRunFinal(d, wf.fail.id, runs.reprocessResult);
  }

  // A scheduled run: joiner, hire date today, scope = this department's two users below.
  const sdept = tag('Sched');
  const today = new Date().toISOString().slice(0, 10) + 'T00:00:00Z';
  const s1 = await createUser(d, { department: sdept, employeeHireDate: today });
  const s2 = await createUser(d, { department: sdept, employeeHireDate: today });
  wf.sched = await createWorkflow(d, joinerWorkflow({
    isSchedulingEnabled: true,
    executionConditions: {
      '@odata.type': NS + 'triggerAndScopeBasedConditions',
      scope: ruleScope(`department eq '${sdept}'`),
      trigger: timeTrigger('employeeHireDate', 0),
    },
    tasks: [task(TD.enableAccount, 'Enable user account')],
  }));
  const sr = await waitFor(async () => (await listRuns(d, wf.sched.id))[0], { what: 'a scheduled run' });
  runs.sched = sr.id;
  await waitRunFinal(d, wf.sched.id, runs.sched);
  expectStatus(await d.api('PATCH', `${WFS}/${wf.sched.id}`, { body: { isSchedulingEnabled: false } }), 204, 'scheduling off');

  // A workflow that will be deleted (its history stays readable under deletedItems).
  wf.del = await createWorkflow(d, leaverWorkflow({ tasks: [task(TD.revokeRefreshTokens, 'Revoke refresh tokens')] }));
  runs.del = (await activate(d, wf.del.id, users.slice(30, 33))).runId;
  await waitRunFinal(d, wf.del.id, runs.del);

  return { wf, runs, users: [...users, s1.id, s2.id], group };
}

// ------------------------------------------------------------------ counts

const isFailedUser = (s) => s === 'failed' || s === 'completedWithErrors';

/** userSummary computed from user results. */
export function userSummaryOf(urs) {
  return {
    failedTasks: urs.reduce((a, u) => a + u.failedTasksCount, 0),
    failedUsers: urs.filter((u) => isFailedUser(u.processingStatus)).length,
    successfulUsers: urs.filter((u) => u.processingStatus === 'completed').length,
    totalTasks: urs.reduce((a, u) => a + u.totalTasksCount, 0),
    totalUsers: urs.length,
  };
}

/** taskReportSummary computed from task results (one per task per user per run). */
export function taskSummaryOf(trs) {
  return {
    failedTasks: trs.filter((t) => t.processingStatus === 'failed').length,
    successfulTasks: trs.filter((t) => t.processingStatus === 'completed').length,
    totalTasks: trs.length,
    unprocessedTasks: trs.filter((t) => !['failed', 'completed'].includes(t.processingStatus)).length,
  };
}

/** runSummary computed from runs and their user results. */
export function runSummaryOf(runs, urs) {
  const u = userSummaryOf(urs);
  return {
    failedRuns: runs.filter((r) => isFailedUser(r.processingStatus)).length,
    failedTasks: u.failedTasks,
    successfulRuns: runs.filter((r) => r.processingStatus === 'completed').length,
    totalRuns: runs.length,
    totalTasks: u.totalTasks,
    totalUsers: u.totalUsers,
  };
}

/** Strip @odata.* annotations. */
export function bare(o) {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('@odata.')));
}

// ------------------------------------------------------------------ export

/** RFC 4180: rows of fields; CRLF line ends, quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text) {
  const rows = [];
  let row = [], field = '', i = 0, quoted = false, wasQuoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"') {
      assert.equal(field, '', `CSV: a quote inside an unquoted field at offset ${i}`);
      quoted = true; wasQuoted = true; i++; continue;
    }
    if (c === ',') { row.push(field); field = ''; wasQuoted = false; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; wasQuoted = false; i += 2; continue; }
    assert.ok(c !== '\n' && c !== '\r', `CSV: a bare line break outside quotes at offset ${i}`);
    field += c; i++;
  }
  assert.ok(!quoted, 'CSV: unterminated quoted field');
  if (field !== '' || row.length || wasQuoted) { row.push(field); rows.push(row); }
  return rows;
}

/** The value a flattened CSV/NDJSON column should hold for JSON item `o` ("subject.id"). */
export function flat(o, col) {
  let v = o;
  for (const k of col.split('.')) v = v == null ? undefined : v[k];
  return v;
}

export function csvText(v) {
  if (v === null || v === undefined) return '';
  return String(v);
}
