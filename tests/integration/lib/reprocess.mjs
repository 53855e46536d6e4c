// SPDX-License-Identifier: MIT
//
// Helpers for the reprocess tests (reprocess_*.test.mjs; issue 4, DESIGN
// section 5): scope bodies, activateWithScope / planActivation calls that
// return the new run id, lineage reads, a "nothing changed" snapshot for the
// refusal tests, and an SMTP server started on a port chosen beforehand (so
// that lcwd can be configured with the port while nothing listens on it).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir, removeDir, expectStatus, collectAll, show, SANITIZE } from './lcwd.mjs';
import { PYTHON, parseMessage, freePort, sleep } from './peers.mjs';
import { WFS, NS, ENUMS, listRuns } from './engine.mjs';

export { freePort };

// ------------------------------------------------------------ scope bodies

export const runScope = (runId, userScope = 'allUsers', taskScope = 'allTasks', extra = {}) => ({
  scope: { '@odata.type': NS + 'activateRunScope', run: { id: runId }, userScope, taskScope, ...extra },
});
export const resultsScope = (ids, taskScope = 'allTasks', extra = {}) => ({
  scope: { '@odata.type': NS + 'activateProcessingResultScope', processingResults: ids.map((id) => ({ id })), taskScope, ...extra },
});
export const userScope = (ids, extra = {}) => ({
  scope: { '@odata.type': NS + 'activateUserScope', users: ids.map((id) => ({ id })), ...extra },
});
export const legacySubjects = (ids) => ({ subjects: ids.map((id) => ({ id })) });
export const queryScope = (filter, taskScope = 'allTasks', extra = {}) => ({
  scope: { '@odata.type': '#lcw.activateQueryScope', filter, taskScope, ...extra },
});

/** The run id named by a Location header of .../workflows/{wf}/runs/{run}. */
export function runIdOf(res, wfId) {
  const loc = res.headers.get('location');
  assert.ok(loc, `no Location header: ${show(res)}`);
  const m = loc.match(/\/workflows\/([^/]+)\/runs\/([^/?]+)$/);
  assert.ok(m, `Location is not a run URL: ${loc}`);
  if (wfId) assert.equal(m[1], wfId, `Location names another workflow: ${loc}`);
  return m[2];
}

/** POST activateWithScope expecting success (204, or 201 with return=representation); returns {runId, res}. */
export async function reprocess(d, wfId, body, { token, headers } = {}) {
  const res = await d.api('POST', `${WFS}/${wfId}/activateWithScope`, { body, token, headers });
  const want = headers && /return=representation/.test(headers.Prefer || '') ? 201 : 204;
  expectStatus(res, want, `activateWithScope ${JSON.stringify(body).slice(0, 300)}`);
  if (want === 204) assert.equal(res.text, '', '204 with a body');
  return { runId: runIdOf(res, wfId), res };
}

/** POST activateWithScope, returning the raw response (refusal tests). */
export function tryReprocess(d, wfId, body, { token, headers } = {}) {
  return d.api('POST', `${WFS}/${wfId}/activateWithScope`, { body, token, headers });
}

/** POST planActivation expecting 200; returns the whole plan (following nextLink when paged). */
export async function plan(d, wfId, body, { token } = {}) {
  const res = await d.api('POST', `${WFS}/${wfId}/planActivation`, { body, token });
  expectStatus(res, 200, `planActivation ${JSON.stringify(body).slice(0, 300)}`);
  const out = res.json;
  assert.ok(Array.isArray(out.value), `plan without value: ${res.text.slice(0, 300)}`);
  let next = out['@odata.nextLink'];
  const value = [...out.value];
  for (let i = 0; next && i < 10000; i++) {
    const r = await d.api('GET', next, { token });
    expectStatus(r, 200, `plan page ${next}`);
    value.push(...r.json.value);
    next = r.json['@odata.nextLink'];
  }
  return { ...out, value };
}

/** The runs listed by a reprocessedRuns route (all pages). */
export async function reprocessedRuns(d, p, { token } = {}) {
  return (await collectAll(d, p, { token, headers: ENUMS })).items;
}
export const runLineage = (d, wfId, runId, o) => reprocessedRuns(d, `${WFS}/${wfId}/runs/${runId}/reprocessedRuns`, o);
export const resultLineage = (d, wfId, urId, o) => reprocessedRuns(d, `${WFS}/${wfId}/userProcessingResults/${urId}/reprocessedRuns`, o);
export const runResultLineage = (d, wfId, runId, urId, o) =>
  reprocessedRuns(d, `${WFS}/${wfId}/runs/${runId}/userProcessingResults/${urId}/reprocessedRuns`, o);

/** Audit events (all pages), optionally only those naming `targetId`. */
export async function auditEvents(d, targetId) {
  const items = (await collectAll(d, '/v1.0/auditLogs/directoryAudits', { maxPages: 10000 })).items;
  return targetId ? items.filter((e) => (e.targetResources || []).some((t) => t.id === targetId)) : items;
}

/**
 * What a refusal must leave unchanged: the workflow's runs (ids, statuses),
 * its user results, every run's lineage, and the number of audit events.
 */
export async function snapshot(d, wfId) {
  const runs = await listRuns(d, wfId, ENUMS);
  const users = (await collectAll(d, `${WFS}/${wfId}/userProcessingResults`, { maxPages: 10000 })).items;
  const lineage = {};
  for (const r of runs) lineage[r.id] = (await runLineage(d, wfId, r.id)).map((x) => x.id).sort();
  const audit = (await collectAll(d, '/v1.0/auditLogs/directoryAudits', { maxPages: 10000 })).items.length;
  return {
    runs: runs.map((r) => `${r.id}:${r.processingStatus}`).sort(),
    users: users.map((u) => `${u.id}:${u.processingStatus}`).sort(),
    lineage,
    audit,
  };
}

/** The parts of a run that must never change once it is final. */
export function frozen(h) {
  const pick = (o, ks) => Object.fromEntries(ks.map((k) => [k, o[k]]));
  const runKeys = ['id', 'processingStatus', 'workflowExecutionType', 'startedDateTime', 'completedDateTime', 'lastUpdatedDateTime',
    'totalUsersCount', 'successfulUsersCount', 'failedUsersCount', 'totalTasksCount', 'failedTasksCount', 'totalUnprocessedTasksCount',
    'activatedOnScope'];
  const userKeys = ['id', 'processingStatus', 'startedDateTime', 'completedDateTime', 'totalTasksCount', 'failedTasksCount',
    'totalUnprocessedTasksCount', 'workflowVersion', 'workflowExecutionType'];
  const taskKeys = ['id', 'processingStatus', 'startedDateTime', 'completedDateTime', 'failureReason', 'processingInfo'];
  const byId = (a, b) => (a.id < b.id ? -1 : 1);
  return {
    run: pick(h.run, runKeys),
    users: [...h.users].sort(byId).map((u) => pick(u, userKeys)),
    tasks: [...h.tasks].sort(byId).map((t) => ({ ...pick(t, taskKeys), task: t.task?.id, subject: t.subject?.id })),
  };
}

/** The plan as a comparable list: [[userId, [taskId...]]...] sorted by user. */
export function planPairs(p) {
  return p.value.map((e) => [e.subject.id, e.tasks.map((t) => t.id)]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** What a run did, as the same comparable list (task results ordered by start, then by creation). */
export function runPairs(h) {
  const out = new Map(h.users.map((u) => [u.subject.id, []]));
  const ts = [...h.tasks].sort((a, b) => (a.task.executionSequence ?? 0) - (b.task.executionSequence ?? 0));
  for (const t of ts) out.get(t.subject.id)?.push(t.task.id);
  return [...out].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

// ------------------------------------------------------------------ SMTP

function canConnect(port) {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/**
 * aiosmtpd (Mailbox handler) on a given loopback port, so that lcwd can be
 * pointed at the port before anything listens there. Stopped by its pid.
 */
export async function startSmtpOn(port) {
  const dir = tempDir('lcw-smtp-');
  const box = path.join(dir, 'mail');
  const proc = spawn(PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', box],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => { stderr += c; });
  let exited = false;
  proc.on('exit', () => { exited = true; });
  const deadline = Date.now() + 15000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`aiosmtpd exited at start-up: ${stderr}`);
    if (Date.now() > deadline) {
      process.kill(proc.pid, 'SIGKILL');
      throw new Error(`aiosmtpd did not listen on ${port} within 15 s: ${stderr}`);
    }
    await sleep(50);
  }
  const smtp = {
    port,
    pid: proc.pid,
    dir: box,
    messages() {
      const nd = path.join(box, 'new');
      if (!fs.existsSync(nd)) return [];
      return fs.readdirSync(nd).sort().map((f) => parseMessage(fs.readFileSync(path.join(nd, f), 'utf8'), f));
    },
    async waitForMessages(pred, n = 1, timeoutMs = SANITIZE ? 30000 : 10000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const got = smtp.messages().filter(pred);
        if (got.length >= n) return got;
        if (Date.now() > end) throw new Error(`expected ${n} matching message(s) within ${timeoutMs} ms, have ${got.length}`);
        await sleep(100);
      }
    },
    async stop() {
      if (!exited) {
        process.kill(proc.pid, 'SIGTERM');
        const end = Date.now() + 5000;
        while (!exited && Date.now() < end) await sleep(50);
        if (!exited) process.kill(proc.pid, 'SIGKILL');
      }
      removeDir(dir);
    },
  };
  return smtp;
}

export { sleep };

// ------------------------------------------------ custom task extensions

export const EXT_SECRET = 'reprocess-test-shared-secret-0123456789';

/**
 * A custom task extension posting to `rx` (startReceiver()) at a fresh path
 * answered by `answer(req)`. mode: 'none' (fire and forget) or 'callback'
 * (the task waits until resumed with EXT_SECRET as bearer).
 */
export async function createExtension(d, rx, routes, { mode = 'none', answer = () => ({ status: 202, body: {} }), client } = {}) {
  const p = `/rp/${Math.random().toString(16).slice(2)}`;
  routes[p] = answer;
  const body = {
    displayName: `Ext ${p.slice(4)}`,
    endpointConfiguration: { '@odata.type': '#microsoft.graph.httpRequestEndpoint', targetUrl: rx.url + p },
    authenticationConfiguration: { '@odata.type': '#lcw.sharedSecretAuthentication', secret: EXT_SECRET },
    clientConfiguration: client || { timeoutInMilliseconds: 2000, maximumRetries: 0 },
    replyMode: mode,
  };
  if (mode === 'callback') body.callbackConfiguration = { timeoutDuration: 'PT5M' };
  const r = await d.api('POST', '/v1.0/identityGovernance/lifecycleWorkflows/customTaskExtensions', { body });
  expectStatus(r, 201, 'create custom task extension');
  return { ...r.json, path: p };
}

/** Resume every callout of `ext` received so far and not yet resumed (callbackUriPath, shared secret). */
export async function resumeAll(d, rx, ext, done = new Set(), status = 'Completed') {
  let n = 0;
  for (const q of rx.requests.filter((x) => x.url === ext.path)) {
    const cb = q.json?.data?.callbackUriPath;
    if (!cb || done.has(cb)) continue;
    const r = await d.api('POST', `/v1.0${cb}`, { token: EXT_SECRET, body: { data: { operationStatus: status }, source: 'test', type: 'lifecycleEvent' } });
    expectStatus(r, 204, `resume ${cb}`);
    done.add(cb);
    n++;
  }
  return n;
}
