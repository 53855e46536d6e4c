#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// bench/reprocess_bulk (issue 4 "Performance"): a query-scope reprocess of
// 10,000 failed user results through the real HTTP API of a real lcwd.
//
// Set-up (not timed): 10,000 users; a joiner workflow whose first task fails
// cheaply and stops the user, followed by a second task; one on-demand run of
// all users (LCW_MAX_ACTIVATION_USERS raised for the seeding) ends with
// 10,000 failed results. Then the cause is fixed and, timed:
//
//   POST .../activateWithScope {"scope": {"@odata.type": "#lcw.activateQueryScope",
//        "filter": "processingStatus eq 'failed'", "taskScope": "failedTasks"}}
//
// until the new run is `completed` (polled every 50 ms). Two causes:
//
//   --cause attributes (default): the first task is "Update user attributes"
//     setting a mail the directory refuses; the fix is createNewVersion with a
//     valid value (the reprocess runs the current version; failedTasks matches
//     the task by definition and name). Second task: "Add user to groups".
//   --cause license: the first task is "Assign licenses to user" naming a SKU
//     that does not exist yet; the fix is POST /v1.0/subscribedSkus (lcw
//     extension). Second task: "Update user attributes". NOTE: the embedded
//     directory counts a SKU's consumed units with a scan of every user on
//     each assignment, so this variant is quadratic in the number of users
//     (see docs/PERFORMANCE.md); use it with --users 2000 or fewer. Reported: the
// request's own time (resolving 10,000 results into one run, with lineage),
// the time to completed, and users/s and tasks/s over the whole.
// planActivation of the same body is timed too (it changes nothing).
//
//   node bench/reprocess_bulk.mjs [--users 10000] [--runs 3] [--workers N] [--json]
//   LCWD=build/lcwd (default <repo>/build/lcwd)
//
// Each run uses a fresh lcwd and data directory.

import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startDaemon, must, runIdOf, waitFinal, machine } from './reprocess_latency.mjs';

const LW = '/v1.0/identityGovernance/lifecycleWorkflows';
const NS = '#microsoft.graph.identityGovernance.';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const N = Number(arg('users', 10000));
const RUNS = Number(arg('runs', 3));
const WORKERS = arg('workers', null);
const JSON_OUT = process.argv.includes('--json');
const CAUSE = arg('cause', 'attributes');
if (!['attributes', 'license'].includes(CAUSE)) throw new Error('--cause attributes|license');

async function createUsers(api, n, concurrency = 8) {
  const ids = new Array(n);
  let next = 0;
  const prefix = randomBytes(3).toString('hex');
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const r = must(await api('POST', '/v1.0/users', { displayName: `Hire ${i}`, userPrincipalName: `hire${i}-${prefix}@contoso.example` }), 201, 'user');
      ids[i] = r.json.id;
    }
  }));
  return ids;
}

async function once(i) {
  const env = { LCW_MAX_ACTIVATION_USERS: String(Math.max(N, 10)), LCW_PAGE_SIZE: '999' };
  if (WORKERS) env.LCW_WORKERS = String(WORKERS);
  const d = await startDaemon(env);
  try {
    const { api } = d;
    const s0 = Date.now();
    const ids = await createUsers(api, N);
    const skuId = `0badc0de-0000-4000-8000-${randomBytes(6).toString('hex')}`;
    const t = (id, name, args = []) => ({ taskDefinitionId: id, displayName: name, description: name, isEnabled: true, continueOnError: false, arguments: args });
    const UPDATE = '2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b', LICENSE = '683c87a4-2ad4-420b-97d4-220d90afcd24', ADD_GROUPS = '22085229-5809-45e8-97fd-270d28d66910';
    const group = must(await api('POST', '/v1.0/groups', { displayName: 'Bulk group', mailEnabled: false, securityEnabled: true }), 201, 'group').json;
    const tasksOf = (fixed) => (CAUSE === 'license'
      ? [t(LICENSE, 'Assign licenses to user', [{ name: 'licenses', value: skuId }]),
        t(UPDATE, 'Update user attributes', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'Licensed' }) }])]
      : [t(UPDATE, 'Update user attributes', [{ name: 'attributes', value: JSON.stringify(fixed ? { jobTitle: 'Onboarded' } : { mail: 'not-an-address' }) }]),
        t(ADD_GROUPS, 'Add user to groups', [{ name: 'groupID', value: group.id }])]);
    const def = {
      category: 'joiner', displayName: `Bulk ${randomBytes(3).toString('hex')}`, description: 'bench', isEnabled: true, isSchedulingEnabled: false,
      executionConditions: {
        '@odata.type': NS + 'triggerAndScopeBasedConditions',
        scope: { '@odata.type': NS + 'ruleBasedSubjectSet', rule: "(department eq 'Bench')" },
        trigger: { '@odata.type': NS + 'timeBasedAttributeTrigger', timeBasedAttribute: 'employeeHireDate', offsetInDays: 0 },
      },
    };
    const wf = must(await api('POST', `${LW}/workflows`, { ...def, tasks: tasksOf(false) }), 201, 'workflow').json;
    const src = runIdOf(must(await api('POST', `${LW}/workflows/${wf.id}/activate`, { subjects: ids.map((id) => ({ id })) }), 204, 'activate'));
    const sr = await waitFinal(api, wf.id, src, { sleepMs: 200 });
    if (sr.failedUsersCount !== N) throw new Error(`source run: ${sr.failedUsersCount} failed of ${N}`);
    if (CAUSE === 'license') {
      must(await api('POST', '/v1.0/subscribedSkus', { skuPartNumber: `BULK${i}`, skuId, prepaidUnits: { enabled: N + 10 } }), 201, 'sku');
    } else {
      must(await api('POST', `${LW}/workflows/${wf.id}/createNewVersion`, { workflow: { ...def, displayName: wf.displayName, tasks: tasksOf(true) } }), 200, 'createNewVersion');
    }
    const seedMs = Date.now() - s0;

    const body = { scope: { '@odata.type': '#lcw.activateQueryScope', filter: "processingStatus eq 'failed'", taskScope: 'failedTasks' } };
    const p0 = process.hrtime.bigint();
    const pl = must(await api('POST', `${LW}/workflows/${wf.id}/planActivation`, body), 200, 'planActivation');
    const planMs = Number(process.hrtime.bigint() - p0) / 1e6;
    const planUsers = pl.json.totalUsers;
    const planPaged = Boolean(pl.json['@odata.nextLink']);
    const planBytes = pl.text.length;

    const t0 = process.hrtime.bigint();
    const r = must(await api('POST', `${LW}/workflows/${wf.id}/activateWithScope`, body), 204, 'activateWithScope');
    const t1 = process.hrtime.bigint();
    const run = await waitFinal(api, wf.id, runIdOf(r), { sleepMs: 50 });
    const t2 = process.hrtime.bigint();
    if (run.processingStatus !== 'completed' || run.totalUsersCount !== N || run.totalTasksCount !== 2 * N) {
      throw new Error(`reprocess run ${run.processingStatus}: ${run.totalUsersCount} users, ${run.totalTasksCount} tasks`);
    }
    const acceptMs = Number(t1 - t0) / 1e6;
    const totalMs = Number(t2 - t0) / 1e6;
    return { seedMs, planMs, planUsers, planPaged, planBytes, acceptMs, totalMs, usersPerSec: N / (totalMs / 1000), tasksPerSec: (2 * N) / (totalMs / 1000) };
  } finally {
    await d.stop();
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function main() {
  const results = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once(i);
    results.push(r);
    console.log(`run ${i + 1}/${RUNS}: ${N} results -> request ${r.acceptMs.toFixed(0)} ms, completed after ${r.totalMs.toFixed(0)} ms = ${r.usersPerSec.toFixed(0)} users/s (${r.tasksPerSec.toFixed(0)} tasks/s); plan ${r.planMs.toFixed(0)} ms for ${r.planUsers} users (${(r.planBytes / 1024).toFixed(0)} KiB${r.planPaged ? ', paged' : ', one page'}); seeding ${(r.seedMs / 1000).toFixed(1)} s`);
  }
  const out = {
    bench: 'reprocess_bulk', cause: CAUSE, users: N, tasksPerUser: 2, runs: RUNS, workers: WORKERS || 'default',
    median_users_per_s: +median(results.map((r) => r.usersPerSec)).toFixed(1),
    median_tasks_per_s: +median(results.map((r) => r.tasksPerSec)).toFixed(1),
    median_request_ms: +median(results.map((r) => r.acceptMs)).toFixed(1),
    median_total_ms: +median(results.map((r) => r.totalMs)).toFixed(1),
    median_plan_ms: +median(results.map((r) => r.planMs)).toFixed(1),
    runs_detail: results.map((r) => ({ ...r, usersPerSec: +r.usersPerSec.toFixed(1), tasksPerSec: +r.tasksPerSec.toFixed(1) })),
    machine: machine(),
  };
  console.log(`reprocess_bulk: median ${out.median_users_per_s} users/s (${out.median_tasks_per_s} tasks/s); request ${out.median_request_ms} ms; request -> completed ${out.median_total_ms} ms; plan ${out.median_plan_ms} ms`);
  if (JSON_OUT) console.log(JSON.stringify(out));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
