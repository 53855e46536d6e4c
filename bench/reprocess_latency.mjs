#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// bench/reprocess_latency (issue 4 "Performance"): the time from the
// activateWithScope request to the new run's `completed`, for a whole-run
// reprocess of 10 users with 5 built-in directory tasks each (leaver: disable
// account, remove from all groups, remove all licenses, revoke refresh
// tokens, update user attributes), over the real HTTP API of a real lcwd on
// loopback. Goal: median < 100 ms (the engine wakes its workers on new work;
// there is no polling interval).
//
// The clock starts just before the POST is sent and stops when a GET of the
// run first shows it `completed`; the run is polled back to back (one GET in
// flight at a time, keep-alive), so the figure includes up to one GET round
// trip of detection delay (reported as `poll_rtt`).
//
//   node bench/reprocess_latency.mjs [--reps 100] [--users 10] [--warmup 5] [--workers N] [--json]
//   LCWD=build/lcwd (default <repo>/build/lcwd)
//
// Prints a summary and, with --json, one JSON line with every figure.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..');
const LCWD = process.env.LCWD || path.join(ROOT, 'build', 'lcwd');
const LW = '/v1.0/identityGovernance/lifecycleWorkflows';
const NS = '#microsoft.graph.identityGovernance.';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const REPS = Number(arg('reps', 100));
const USERS = Number(arg('users', 10));
const WARMUP = Number(arg('warmup', 5));
const WORKERS = arg('workers', null);
const JSON_OUT = process.argv.includes('--json');

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

export async function startDaemon(env = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcw-bench-'));
  const token = `lcw_bench_${randomBytes(16).toString('hex')}`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LCW_')));
  const proc = spawn(LCWD, ['--data-dir', dataDir, '--listen', '127.0.0.1:0'],
    { env: { ...clean, LCW_ADMIN_TOKEN: token, LCW_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      process.kill(proc.pid, 'SIGKILL'); // ours, by pid
      reject(new Error(`lcwd did not report event=listening within 20 s:\n${stderr}`));
    }, 20000);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (c) => {
      stderr += c;
      const m = stderr.match(/event=listening[^\n]*url="?(http:\/\/[^"\s]+)/);
      if (m) { clearTimeout(t); resolve(m[1].replace(/\/+$/, '')); }
    });
    proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`lcwd exited (${code}):\n${stderr}`)); });
  });
  proc.stderr.removeAllListeners('data');
  proc.stderr.resume();
  const { hostname, port } = new URL(url);
  const api = (method, p, body, headers = {}) => new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({
      host: hostname, port, method, path: p, agent,
      headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
  const stop = async () => {
    proc.removeAllListeners('exit');
    const exited = new Promise((r) => proc.once('exit', r));
    process.kill(proc.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20000))]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, api, stop, pid: proc.pid, dataDir };
}

export function must(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 500)}`);
  return res;
}

export function runIdOf(res) {
  const m = String(res.headers.location || '').match(/\/runs\/([^/?]+)$/);
  if (!m) throw new Error(`no run Location: ${res.status} ${res.text.slice(0, 300)}`);
  return m[1];
}

export async function waitFinal(api, wfId, runId, { timeoutMs = 600000, sleepMs = 0 } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = must(await api('GET', `${LW}/workflows/${wfId}/runs/${runId}`), 200, 'GET run');
    if (['completed', 'completedWithErrors', 'failed', 'canceled'].includes(r.json.processingStatus)) return r.json;
    if (Date.now() > end) throw new Error(`run ${runId} not final after ${timeoutMs} ms (${r.json.processingStatus})`);
    if (sleepMs) await new Promise((x) => setTimeout(x, sleepMs));
  }
}

export function pct(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function machine() {
  const cpus = os.cpus();
  return { nproc: cpus.length, cpu: cpus[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release() };
}

async function main() {
  const env = WORKERS ? { LCW_WORKERS: String(WORKERS) } : {};
  const d = await startDaemon(env);
  try {
    const { api } = d;
    // 10 leavers, each in a group and holding a license.
    const sku = must(await api('POST', '/v1.0/subscribedSkus', { skuPartNumber: 'BENCHPACK', prepaidUnits: { enabled: 1000 } }), 201, 'sku').json;
    const ids = [];
    for (let i = 0; i < USERS; i++) {
      const u = must(await api('POST', '/v1.0/users', { displayName: `Leaver ${i}`, userPrincipalName: `leaver${i}-${randomBytes(3).toString('hex')}@contoso.example` }), 201, 'user').json;
      must(await api('POST', `/v1.0/users/${u.id}/assignLicense`, { addLicenses: [{ skuId: sku.skuId, disabledPlans: [] }], removeLicenses: [] }), 200, 'license');
      ids.push(u.id);
    }
    const g = must(await api('POST', '/v1.0/groups', {
      displayName: 'Bench group', mailEnabled: false, securityEnabled: true, 'members@odata.bind': ids.map((id) => `${d.url}/v1.0/users/${id}`),
    }), 201, 'group').json;
    const t = (id, name, args = []) => ({ taskDefinitionId: id, displayName: name, description: name, isEnabled: true, continueOnError: false, arguments: args });
    const wf = must(await api('POST', `${LW}/workflows`, {
      category: 'leaver', displayName: `Bench leaver ${randomBytes(3).toString('hex')}`, description: 'bench', isEnabled: true, isSchedulingEnabled: false,
      executionConditions: {
        '@odata.type': NS + 'triggerAndScopeBasedConditions',
        scope: { '@odata.type': NS + 'ruleBasedSubjectSet', rule: "(department eq 'Bench')" },
        trigger: { '@odata.type': NS + 'timeBasedAttributeTrigger', timeBasedAttribute: 'employeeLeaveDateTime', offsetInDays: 0 },
      },
      tasks: [
        t('1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950', 'Disable user account'),
        t('b3a31406-2a15-4c9a-b25b-a658fa5f07fc', 'Remove user from all groups'),
        t('8fa97d28-3e52-4985-b3a9-a1126f9b8b4e', 'Remove all licenses for user'),
        t('509589a4-0466-4471-829e-49c5e502bdee', 'Revoke all refresh tokens for user'),
        t('2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b', 'Update user attributes', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'Former employee' }) }]),
      ],
    }), 201, 'workflow').json;
    const act = must(await api('POST', `${LW}/workflows/${wf.id}/activate`, { subjects: ids.map((id) => ({ id })) }), 204, 'activate');
    const srcId = runIdOf(act);
    const src = await waitFinal(api, wf.id, srcId, { sleepMs: 5 });
    if (src.processingStatus !== 'completed') throw new Error(`source run ${src.processingStatus}`);
    void g;

    const body = { scope: { '@odata.type': NS + 'activateRunScope', run: { id: srcId }, userScope: 'allUsers', taskScope: 'allTasks' } };
    const lat = [], accept = [], polls = [];
    for (let i = 0; i < WARMUP + REPS; i++) {
      const t0 = process.hrtime.bigint();
      const r = must(await api('POST', `${LW}/workflows/${wf.id}/activateWithScope`, body), 204, 'activateWithScope');
      const t1 = process.hrtime.bigint();
      const runId = runIdOf(r);
      let n = 0, run;
      for (;;) {
        const pr0 = process.hrtime.bigint();
        run = must(await api('GET', `${LW}/workflows/${wf.id}/runs/${runId}`), 200, 'GET run').json;
        polls.push(Number(process.hrtime.bigint() - pr0) / 1e6);
        n++;
        if (['completed', 'completedWithErrors', 'failed', 'canceled'].includes(run.processingStatus)) break;
      }
      const t2 = process.hrtime.bigint();
      if (run.processingStatus !== 'completed' || run.totalUsersCount !== USERS || run.totalTasksCount !== USERS * 5) {
        throw new Error(`repetition ${i}: run ${runId} ${run.processingStatus}, ${run.totalUsersCount} users, ${run.totalTasksCount} tasks`);
      }
      if (i >= WARMUP) {
        lat.push(Number(t2 - t0) / 1e6);
        accept.push(Number(t1 - t0) / 1e6);
      }
    }
    const s = [...lat].sort((a, b) => a - b);
    const a = [...accept].sort((x, y) => x - y);
    const p = [...polls].sort((x, y) => x - y);
    const out = {
      bench: 'reprocess_latency', reps: REPS, users: USERS, tasksPerUser: 5, workers: WORKERS || 'default',
      median_ms: +pct(s, 50).toFixed(2), p99_ms: +pct(s, 99).toFixed(2), min_ms: +s[0].toFixed(2), max_ms: +s[s.length - 1].toFixed(2),
      mean_ms: +(s.reduce((x, y) => x + y, 0) / s.length).toFixed(2),
      accept_median_ms: +pct(a, 50).toFixed(2), accept_p99_ms: +pct(a, 99).toFixed(2), poll_rtt_median_ms: +pct(p, 50).toFixed(2),
      goal_median_ms: 100, machine: machine(),
    };
    console.log(`reprocess_latency: ${REPS} reprocesses of a run of ${USERS} users x 5 directory tasks (after ${WARMUP} warm-up)`);
    console.log(`  request -> completed: median ${out.median_ms} ms, p99 ${out.p99_ms} ms (min ${out.min_ms}, max ${out.max_ms}, mean ${out.mean_ms}); goal: median < 100 ms -> ${out.median_ms < 100 ? 'met' : 'NOT met'}`);
    console.log(`  of which the activateWithScope request itself: median ${out.accept_median_ms} ms, p99 ${out.accept_p99_ms} ms; one status GET: median ${out.poll_rtt_median_ms} ms`);
    if (JSON_OUT) console.log(JSON.stringify(out));
  } finally {
    await d.stop();
    agent.destroy();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
