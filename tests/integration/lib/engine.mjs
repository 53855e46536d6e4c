// SPDX-License-Identifier: MIT
//
// Helpers for the engine tests (engine_*.test.mjs): directory fixtures
// through the API, workflows, on-demand runs, bounded polling until a run is
// final, reading a run's whole history, and the counter check every run
// must pass (the run's counters equal what its user and task results say).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LW, SANITIZE, expectStatus, collectAll, show } from './lcwd.mjs';
import { TD, GRAPH_TASK_DEFINITIONS, joinerWorkflow, leaverWorkflow, moverWorkflow, task } from './fixtures.mjs';

export const WFS = `${LW}/workflows`;
export const NS = '#microsoft.graph.identityGovernance.';
export const FINAL = Object.freeze(['completed', 'completedWithErrors', 'failed', 'canceled']);
export const STATUSES = Object.freeze(['queued', 'inProgress', ...FINAL]);
/** Evolvable enum members (preview, mover, activatedWithScope) are masked without this. */
export const ENUMS = Object.freeze({ Prefer: 'include-unknown-enum-members' });
/** Sanitizer builds are several times slower: scale time bounds by this. */
export const SANITIZE_FACTOR = SANITIZE ? 3 : 1;
/** How long a run may take to become final in these small tests. */
export const RUN_TIMEOUT_MS = 20000 * SANITIZE_FACTOR;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const isFinal = (s) => FINAL.includes(s);

/** Poll `fn` until it returns a truthy value; fail after `timeoutMs` with `what` (string or function). */
export async function waitFor(fn, { timeoutMs = RUN_TIMEOUT_MS, intervalMs = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) assert.fail(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(intervalMs);
  }
}

export function tag(prefix = 'x') {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

// -------------------------------------------------------------- directory

export async function createUser(d, props = {}) {
  const t = tag('u');
  const body = { displayName: `User ${t}`, userPrincipalName: `${t}@contoso.example`, ...props };
  const r = await d.api('POST', '/v1.0/users', { body });
  expectStatus(r, 201, `create user ${body.userPrincipalName}`);
  return r.json;
}

/** Create `n` users with at most `concurrency` requests in flight; returns their ids in order. */
export async function createUsers(d, n, propsOf = () => ({}), { concurrency = 8 } = {}) {
  const ids = new Array(n);
  let next = 0;
  const prefix = tag('bulk');
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      const i = next++;
      const body = { displayName: `Bulk ${i}`, userPrincipalName: `${prefix}-${i}@contoso.example`, ...propsOf(i) };
      const r = await d.api('POST', '/v1.0/users', { body });
      expectStatus(r, 201, `create bulk user ${i}`);
      ids[i] = r.json.id;
    }
  }));
  return ids;
}

export async function getUser(d, id) {
  const r = await d.api('GET', `/v1.0/users/${id}`);
  expectStatus(r, 200, `GET user ${id}`);
  return r.json;
}

export async function patchUser(d, id, body) {
  expectStatus(await d.api('PATCH', `/v1.0/users/${id}`, { body }), 204, `PATCH user ${id} ${JSON.stringify(body)}`);
}

/** Ids of the groups the user is a direct member of. */
export async function memberOf(d, id) {
  const { items } = await collectAll(d, `/v1.0/users/${id}/memberOf`);
  return items.map((g) => g.id).sort();
}

export async function createGroup(d, props = {}, memberIds = []) {
  const body = { displayName: tag('Group '), mailEnabled: false, securityEnabled: true, ...props };
  if (memberIds.length) body['members@odata.bind'] = memberIds.map((id) => `${d.url}/v1.0/users/${id}`);
  const r = await d.api('POST', '/v1.0/groups', { body });
  expectStatus(r, 201, `create group ${body.displayName}`);
  return r.json;
}

export async function createTeam(d, props = {}, memberIds = []) {
  return createGroup(d, { groupTypes: ['Unified'], mailEnabled: true, mailNickname: tag('team'), resourceProvisioningOptions: ['Team'], ...props }, memberIds);
}

export async function addMember(d, groupId, userId) {
  expectStatus(await d.api('POST', `/v1.0/groups/${groupId}/members/$ref`, {
    body: { '@odata.id': `${d.url}/v1.0/directoryObjects/${userId}` },
  }), 204, `add ${userId} to group ${groupId}`);
}

export async function createSku(d, skuPartNumber, enabled = 50) {
  const r = await d.api('POST', '/v1.0/subscribedSkus', { body: { skuPartNumber, prepaidUnits: { enabled } } });
  expectStatus(r, 201, `create sku ${skuPartNumber}`);
  return r.json;
}

export async function assignLicense(d, userId, skuId) {
  expectStatus(await d.api('POST', `/v1.0/users/${userId}/assignLicense`, {
    body: { addLicenses: [{ skuId, disabledPlans: [] }], removeLicenses: [] },
  }), 200, `assign ${skuId} to ${userId}`);
}

// -------------------------------------------------------------- workflows

/** The workflow fixture whose category allows every given task definition. */
export function workflowFor(tasks, overrides = {}) {
  const cats = tasks.map((t) => (GRAPH_TASK_DEFINITIONS[t.taskDefinitionId] || 'joiner,leaver,mover').split(','));
  const pick = ['leaver', 'joiner', 'mover'].find((c) => cats.every((cs) => cs.includes(c)));
  assert.ok(pick, `no category allows all of ${tasks.map((t) => t.displayName).join(', ')}`);
  const make = { joiner: joinerWorkflow, leaver: leaverWorkflow, mover: moverWorkflow }[pick];
  return make({ tasks, ...overrides });
}

export async function createWorkflow(d, body) {
  const r = await d.api('POST', WFS, { body });
  expectStatus(r, 201, `create workflow ${body.displayName}`);
  return r.json;
}

/** Create a workflow (or use `wf`), activate it for `userIds`; returns {wf, runId, res}. */
export async function activate(d, wfId, userIds, { token, headers } = {}) {
  const res = await d.api('POST', `${WFS}/${wfId}/activate`, {
    token, headers, body: { subjects: userIds.map((id) => ({ id })) },
  });
  assert.ok(res.status === 204 || res.status === 201, `activate: ${show(res)}`);
  const loc = res.headers.get('location');
  assert.ok(loc, 'activate: no Location header');
  const m = loc.match(/\/workflows\/([^/]+)\/runs\/([^/?]+)$/);
  assert.ok(m, `activate: Location is not a run URL: ${loc}`);
  assert.equal(m[1], wfId, 'Location names another workflow');
  return { runId: m[2], res, location: loc };
}

export async function getRun(d, wfId, runId, headers) {
  const r = await d.api('GET', `${WFS}/${wfId}/runs/${runId}`, { headers });
  expectStatus(r, 200, `GET run ${runId}`);
  return r.json;
}

/** Poll the run until it is final (bounded); returns the final run. */
export async function waitRunFinal(d, wfId, runId, { timeoutMs = RUN_TIMEOUT_MS, intervalMs = 100 } = {}) {
  let run;
  await waitFor(async () => {
    run = await getRun(d, wfId, runId);
    assert.ok(STATUSES.includes(run.processingStatus), `run ${runId} has an unknown status ${run.processingStatus}`);
    return isFinal(run.processingStatus);
  }, { timeoutMs, intervalMs, what: () => `run ${runId} to become final (last status ${run?.processingStatus})` });
  return run;
}

/** Runs of a workflow (all pages). */
export async function listRuns(d, wfId, headers) {
  return (await collectAll(d, `${WFS}/${wfId}/runs`, { headers })).items;
}

/** The run, its user results and its task results (all pages). */
export async function runHistory(d, wfId, runId, { headers } = {}) {
  const run = await getRun(d, wfId, runId, headers);
  const users = (await collectAll(d, `${WFS}/${wfId}/runs/${runId}/userProcessingResults`, { headers, maxPages: 10000 })).items;
  const tasks = (await collectAll(d, `${WFS}/${wfId}/runs/${runId}/taskProcessingResults`, { headers, maxPages: 10000 })).items;
  return { run, users, tasks };
}

/**
 * A run's counters must equal its results: totalUsersCount = user results;
 * successfulUsersCount = users `completed`; failedUsersCount = users
 * `failed` or `completedWithErrors` (a user with a failed task, as Graph's
 * userSummary counts it); totalTasksCount / failedTasksCount /
 * totalUnprocessedTasksCount = the sums of the user results' counters; and
 * each user result's counters equal its task results.
 */
export function assertCountersMatch({ run, users, tasks }) {
  const byUser = new Map(users.map((u) => [u.id, []]));
  const userOfSubject = new Map(users.map((u) => [u.subject.id, u]));
  for (const t of tasks) {
    const u = userOfSubject.get(t.subject.id);
    assert.ok(u, `task result ${t.id} belongs to no user result of run ${run.id}`);
    byUser.get(u.id).push(t);
  }
  let sumTasks = 0, sumFailed = 0, sumUnprocessed = 0;
  for (const u of users) {
    const ts = byUser.get(u.id);
    sumTasks += u.totalTasksCount;
    sumFailed += u.failedTasksCount;
    sumUnprocessed += u.totalUnprocessedTasksCount;
    if (isFinal(u.processingStatus)) {
      const failed = ts.filter((t) => t.processingStatus === 'failed').length;
      const notRun = ts.filter((t) => t.processingStatus === 'canceled').length;
      assert.equal(ts.length, u.totalTasksCount, `user result ${u.id}: totalTasksCount ${u.totalTasksCount} but ${ts.length} task results`);
      assert.equal(u.failedTasksCount, failed, `user result ${u.id}: failedTasksCount ${u.failedTasksCount} but ${failed} failed task results`);
      assert.equal(u.totalUnprocessedTasksCount, notRun, `user result ${u.id}: totalUnprocessedTasksCount ${u.totalUnprocessedTasksCount} but ${notRun} canceled task results`);
    }
  }
  const count = (...s) => users.filter((u) => s.includes(u.processingStatus)).length;
  assert.equal(run.totalUsersCount, users.length, 'run.totalUsersCount');
  assert.equal(run.successfulUsersCount, count('completed'), 'run.successfulUsersCount');
  assert.equal(run.failedUsersCount, count('failed', 'completedWithErrors'), 'run.failedUsersCount');
  assert.equal(run.totalTasksCount, sumTasks, 'run.totalTasksCount');
  assert.equal(run.failedTasksCount, sumFailed, 'run.failedTasksCount');
  assert.equal(run.totalUnprocessedTasksCount, sumUnprocessed, 'run.totalUnprocessedTasksCount');
}

/** The task results of one user in a history, keyed by task displayName. */
export function tasksOf(history, userId) {
  const out = {};
  for (const t of history.tasks.filter((x) => x.subject.id === userId)) out[t.task.displayName] = t;
  return out;
}

export function userResultOf(history, userId) {
  const u = history.users.find((x) => x.subject.id === userId);
  assert.ok(u, `no user result for ${userId} in run ${history.run.id}`);
  return u;
}

/**
 * Create a workflow with `tasks`, activate it for `userIds`, wait until the
 * run is final; returns {wf, runId, ...history} after checking the counters.
 */
export async function runOnDemand(d, tasks, userIds, { overrides = {}, timeoutMs } = {}) {
  const wf = await createWorkflow(d, workflowFor(tasks, overrides));
  const { runId } = await activate(d, wf.id, userIds);
  await waitRunFinal(d, wf.id, runId, { timeoutMs });
  const h = await runHistory(d, wf.id, runId);
  assertCountersMatch(h);
  return { wf, runId, ...h };
}

export { TD, task };
