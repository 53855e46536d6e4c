// SPDX-License-Identifier: MIT
//
// bench/history_queries: latency of the history and report routes over a
// large store (issue 5, "Performance"). See bench/README.md and
// docs/PERFORMANCE.md ("History queries").
//
//   node bench/history_queries.mjs                      # 1,000,000 user / 5,000,000 task results
//   node bench/history_queries.mjs --scale 0.1          # 100,000 / 500,000
//   node bench/history_queries.mjs --keep --dir /abs/dir  # keep (or reuse, if it holds lcw.db) the data dir
//   node bench/history_queries.mjs --dir /abs/dir --reuse # measure an existing generated dir only
//   ... --skip-export | --only-export                   # (a)-(d) only, or (e) only
//   ... --n-a 200 --n-b 200 --n-c 20                    # samples per round for (a), (b), (c)/(d)
//   ... --b-days 28                                     # (b)'s window length (default 7); at --scale 0.25
//                                                       # a 28-day window holds as many rows as 7 days at 1
//
// Steps:
//  1. setup (a fresh data dir): a real lcwd creates --users users and 4 workflows
//     (leaver, joiner, mover, leaver; 5 tasks each) through the API, and stops;
//  2. generate: bench/history_queries_gen (built by this script from
//     bench/history_queries_gen.c against build/liblcw_*.a) writes the runs, user
//     results and task results straight into lcw.db (timed);
//  3. measure over HTTP with one keep-alive connection (node:http Agent, maxSockets 1), against a
//     fresh lcwd on that data dir:
//     (a) first page of one run's failed users,
//     (b) a page 20 nextLinks deep into a 7-day window of userProcessingResults,
//     (c) each summary function over 30 days, (d) each insight over 30 days,
//     (e) CSV export of every user result (1,000,000 rows at full scale, one
//         streaming request per workflow, back to back) on a freshly started
//         lcwd: rows/s and VmHWM from /proc/PID/status.
//  Each latency is the time from sending the request to the last byte of the body.
//  --rounds K repeats step 3 K times (default 3) and prints each round and the medians.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..');
const lib = await import(path.join(ROOT, 'tests/integration/lib/lcwd.mjs'));
const fx = await import(path.join(ROOT, 'tests/integration/lib/fixtures.mjs'));
const { startLcwd, LW } = lib;
const { TD, task } = fx;

// One connection, kept alive: the latencies are the server's, not TCP set-up.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET with the keep-alive agent; resolves {status, text} or streams to onChunk. */
function get(url, headers, onChunk) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, headers }, (res) => {
      const parts = [];
      res.on('data', (c) => (onChunk ? onChunk(c) : parts.push(c)));
      res.on('end', () => resolve({ status: res.statusCode, text: onChunk ? '' : Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const flag = (name) => argv.includes(name);
const SCALE = Number(opt('--scale', '1'));
const USER_RESULTS = Math.round(1000000 * SCALE);
const RUNS = Math.max(20, Math.round(2000 * SCALE));
const DAYS = 60;
const USERS = Number(opt('--users', String(Math.max(2000, Math.round(10000 * SCALE)))));
const ROUNDS = Number(opt('--rounds', '3'));
const N_A = Number(opt('--n-a', '200'));
const N_B = Number(opt('--n-b', '200'));
const B_DAYS = Number(opt('--b-days', '7'));
const N_C = Number(opt('--n-c', '20'));
const ADMIN = 'lcw_bench_history_0123456789abcdef0123';
const DIR = opt('--dir', null) || fs.mkdtempSync(path.join(os.tmpdir(), 'lcw-hq-'));
const KEEP = flag('--keep') || flag('--reuse');
const WFS = `${LW}/workflows`;
const DAY = 86400000;

const log = (...a) => console.log(...a);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)] : NaN; };
const ms = (x) => x.toFixed(2);
const iso = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function timed(d, p, headers = {}) {
  const t0 = process.hrtime.bigint();
  const u = new URL(/^https?:/.test(p) ? p : d.url + p);
  const { status, text } = await get(u, { Authorization: `Bearer ${d.adminToken}`, ...headers });
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  if (status !== 200) throw new Error(`GET ${p}: ${status} ${text.slice(0, 400)}`);
  return { dt, text };
}

function buildGenerator() {
  const out = path.join(ROOT, 'build', 'bench', 'history_queries_gen');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const B = path.join(ROOT, 'build');
  const libs = ['api', 'engine', 'tasks', 'dir', 'store', 'odata', 'model', 'jsonx', 'common'].map((m) => path.join(B, `liblcw_${m}.a`));
  execFileSync('cc', ['-O2', '-std=c11', '-D_GNU_SOURCE', `-I${path.join(ROOT, 'include')}`, '-o', out,
    path.join(here, 'history_queries_gen.c'), ...libs,
    '-lmicrohttpd', '-ljansson', '-lsqlite3', '-lsodium', '-linih', '-lcurl', '-lpthread'], { stdio: 'inherit' });
  return out;
}

function workflowBody(category, i) {
  const leaverTasks = [
    task(TD.disableAccount, 'Disable user account'),
    task(TD.removeFromAllGroups, 'Remove user from all groups'),
    task(TD.removeAllLicenses, 'Remove all licenses for user'),
    task(TD.revokeRefreshTokens, 'Revoke all refresh tokens for user'),
    task(TD.updateUserAttributes, 'Update user attributes', [{ name: 'attributes', value: JSON.stringify({ department: 'Alumni' }) }]),
  ];
  const joinerTasks = [
    task(TD.enableAccount, 'Enable user account'),
    task(TD.addToGroups, 'Add user to groups', [{ name: 'groupID', value: '00000000-0000-0000-0000-000000000001' }]),
    task(TD.assignLicenses, 'Assign licenses', [{ name: 'licenses', value: '00000000-0000-0000-0000-000000000002' }]),
    task(TD.addToTeams, 'Add user to teams', [{ name: 'teamID', value: '00000000-0000-0000-0000-000000000004' }]),
    task(TD.updateUserAttributes, 'Update user attributes', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'New hire' }) }]),
  ];
  const moverTasks = [
    task(TD.notifyManagerMove, 'Notify manager of a move'),
    task(TD.addToGroups, 'Add user to groups', [{ name: 'groupID', value: '00000000-0000-0000-0000-000000000001' }]),
    task(TD.removeFromSelectedGroups, 'Remove user from selected groups', [{ name: 'groupID', value: '00000000-0000-0000-0000-000000000003' }]),
    task(TD.revokeRefreshTokens, 'Revoke all refresh tokens for user'),
    task(TD.updateUserAttributes, 'Update user attributes', [{ name: 'attributes', value: JSON.stringify({ department: 'Moved' }) }]),
  ];
  const make = { leaver: fx.leaverWorkflow, joiner: fx.joinerWorkflow, mover: fx.moverWorkflow }[category];
  return make({
    displayName: `Bench ${category} ${i}`,
    tasks: { leaver: leaverTasks, joiner: joinerTasks, mover: moverTasks }[category],
  });
}

async function setup() {
  const d = await startLcwd({ dataDir: DIR, adminToken: ADMIN });
  try {
    const t0 = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < USERS) {
        const i = next++;
        const body = { displayName: `Bench User ${i}, Contoso`, userPrincipalName: `bench${i}@contoso.example`, department: 'Sales' };
        let r = await d.api('POST', '/v1.0/users', { timeoutMs: 120000, body });
        // A busy shared disk can exceed the store's busy timeout: 503 + Retry-After, as any client retries.
        for (let tries = 0; r.status === 503 && tries < 10; tries++) {
          await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after') || 1)));
          r = await d.api('POST', '/v1.0/users', { timeoutMs: 120000, body });
        }
        if (r.status !== 201) throw new Error(`create user ${i}: ${r.status} ${r.text}`);
      }
    }));
    for (const [i, c] of ['leaver', 'joiner', 'mover', 'leaver'].entries()) {
      const r = await d.api('POST', WFS, { body: workflowBody(c, i) });
      if (r.status !== 201) throw new Error(`create workflow: ${r.status} ${r.text}`);
    }
    log(`setup users=${USERS} workflows=4 seconds=${((Date.now() - t0) / 1000).toFixed(1)}`);
  } finally {
    await d.stop();
  }
}

function generate(gen) {
  const t0 = Date.now();
  const r = spawnSync(gen, ['--db', path.join(DIR, 'lcw.db'), '--user-results', String(USER_RESULTS), '--runs', String(RUNS), '--days', String(DAYS)],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`generator failed (${r.status})`);
  process.stdout.write(r.stdout);
  const bytes = fs.readdirSync(DIR).filter((f) => f.startsWith('lcw.db')).reduce((a, f) => a + fs.statSync(path.join(DIR, f)).size, 0);
  log(`generate seconds=${((Date.now() - t0) / 1000).toFixed(1)} db_mb=${(bytes / 1048576).toFixed(0)}`);
}

function vm(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((s.match(new RegExp(`${k}:\\s+(\\d+)`)) || [0, 0])[1]);
  return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
}

async function allPages(d, first) {
  const items = [];
  for (let next = first; next;) {
    const { text } = await timed(d, next);
    const j = JSON.parse(text);
    items.push(...j.value);
    next = j['@odata.nextLink'];
  }
  return items;
}

async function measure(round) {
  const out = {};
  let d = await startLcwd({ dataDir: DIR, adminToken: ADMIN });
  try {
    if (!flag('--only-export')) await measureQueries(d, round, out);
    await d.stop();
    if (flag('--skip-export')) return out;
    d = await startLcwd({ dataDir: DIR, adminToken: ADMIN });
    await measureExport(d, round, out);
    await d.stop();
    return out;
  } catch (e) {
    d.kill();
    throw e;
  }
}

async function measureQueries(d, round, out) {
  {
    const wfs = JSON.parse((await timed(d, `${WFS}?$select=id,displayName`)).text).value;
    const now = Date.now();
    const win30 = `startDateTime=${iso(now - 30 * DAY)},endDateTime=${iso(now)}`;

    // (a) first page of a run's failed users: runs picked across all workflows.
    const runs = [];
    for (const w of wfs) {
      const { text } = await timed(d, `${WFS}/${w.id}/runs?$top=100&$filter=processingStatus eq 'completedWithErrors'&$select=id`);
      for (const r of JSON.parse(text).value) runs.push([w.id, r.id]);
    }
    const a = [];
    let aRows = 0;
    for (let i = 0; i < N_A; i++) {
      const [w, r] = runs[(i * 7919) % runs.length];
      const { dt, text } = await timed(d, `${WFS}/${w}/runs/${r}/userProcessingResults?$filter=processingStatus eq 'failed'`);
      a.push(dt);
      aRows += JSON.parse(text).value.length;
    }
    out.a = { median: median(a), p99: pct(a, 99), n: a.length, rows_per_page: aRows / a.length };
    log(`  round=${round} (a) done n=${a.length} median_ms=${ms(out.a.median)}`);

    // (b) a 7-day (--b-days) window in the middle of the history; follow 20 nextLinks, then
    // replay the 20th link (a stable URL) N_B times, one workflow after another.
    const wStart = now - 40 * DAY, wEnd = wStart + B_DAYS * DAY;
    const first = `${WFS}/${wfs[0].id}/userProcessingResults?$filter=scheduledDateTime ge ${iso(wStart)} and scheduledDateTime lt ${iso(wEnd)}`;
    const walk = [];
    const deep = [];
    for (const w of wfs) {
      let next = first.replace(wfs[0].id, w.id), last = next;
      for (let p = 0; p < 20 && next; p++) {
        const { dt, text } = await timed(d, next);
        walk.push(dt);
        last = next;
        next = JSON.parse(text)['@odata.nextLink'];
      }
      deep.push(next || last); // at small scales the window may have fewer than 21 pages
    }
    const b = [];
    for (let i = 0; i < N_B; i++) b.push((await timed(d, deep[i % deep.length])).dt);
    log(`  round=${round} (b) walk done pages=${walk.length} median_ms=${ms(median(walk))}`);
    out.b = { median: median(b), p99: pct(b, 99), n: b.length, walk_median: median(walk), walk_p99: pct(walk, 99), walk_n: walk.length };

    // (c) summaries over 30 days, (d) insights over 30 days.
    const aRun = runs[0];
    const fns = {
      runsSummary: (w) => `${WFS}/${w}/runs/summary(${win30})`,
      userSummary: (w) => `${WFS}/${w}/userProcessingResults/summary(${win30})`,
      taskReportSummary: (w) => `${WFS}/${w}/taskReports/summary(${win30})`,
      subjectSummary: () => `${WFS}/${aRun[0]}/runs/${aRun[1]}/subjectProcessingResults/summary(${win30})`,
      workflowsProcessedSummary: () => `${LW}/insights/workflowsProcessedSummary(${win30})`,
      workflowsProcessedByCategory: () => `${LW}/insights/workflowsProcessedByCategory(${win30})`,
      topWorkflowsProcessedSummary: () => `${LW}/insights/topWorkflowsProcessedSummary(${win30})`,
      topTasksProcessedSummary: () => `${LW}/insights/topTasksProcessedSummary(${win30})`,
    };
    for (const [name, url] of Object.entries(fns)) {
      const xs = [];
      for (let i = 0; i < N_C; i++) xs.push((await timed(d, url(wfs[i % wfs.length].id))).dt);
      out[name] = { median: median(xs), p99: pct(xs, 99), max: Math.max(...xs), n: xs.length };
    }
    log(`round=${round} a_median_ms=${ms(out.a.median)} a_p99_ms=${ms(out.a.p99)} a_rows=${out.a.rows_per_page.toFixed(1)}` +
      ` b_median_ms=${ms(out.b.median)} b_p99_ms=${ms(out.b.p99)} b_walk_median_ms=${ms(out.b.walk_median)} b_walk_p99_ms=${ms(out.b.walk_p99)}`);
    for (const name of Object.keys(fns)) log(`round=${round} ${name}_median_ms=${ms(out[name].median)} p99_ms=${ms(out[name].p99)} max_ms=${ms(out[name].max)}`);
  }
}

// (e) CSV export of every user result, on a fresh lcwd (VmHWM is its own).
async function measureExport(d, round, out) {
  {
    const wfs = JSON.parse((await timed(d, `${WFS}?$select=id`)).text).value;
    const before = vm(d.pid);
    let rows = 0, bytes = 0;
    const t0 = process.hrtime.bigint();
    for (const w of wfs) {
      let tail = 0;
      const { status } = await get(new URL(`${d.url}${WFS}/${w.id}/userProcessingResults`), { Authorization: `Bearer ${ADMIN}`, Accept: 'text/csv' }, (chunk) => {
        bytes += chunk.length;
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) rows++;
        tail = chunk[chunk.length - 1];
      });
      if (status !== 200) throw new Error(`export ${w.id}: ${status}`);
      if (tail !== 10) throw new Error('export does not end with a newline');
      rows--; // header
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = vm(d.pid);
    out.e = { rows, secs, rows_per_s: rows / secs, mb: bytes / 1048576, hwm_mb: after.hwm, rss_before_mb: before.rss };
    log(`round=${round} export_rows=${rows} seconds=${secs.toFixed(2)} rows_per_s=${Math.round(rows / secs)} mb=${out.e.mb.toFixed(0)} vm_hwm_mb=${after.hwm.toFixed(1)} rss_before_mb=${before.rss.toFixed(1)}`);
  }
}

// ---------------------------------------------------------------- main
log(`machine cpus=${os.cpus().length} model="${os.cpus()[0]?.model}" mem_gb=${(os.totalmem() / 2 ** 30).toFixed(0)} node=${process.version} scale=${SCALE} dir=${DIR}`);
if (!(flag('--reuse') && fs.existsSync(path.join(DIR, 'lcw.db')))) {
  const gen = buildGenerator();
  await setup();
  generate(gen);
}
const rounds = [];
for (let r = 1; r <= ROUNDS; r++) rounds.push(await measure(r));
const med = (f) => median(rounds.map((o) => { try { return f(o); } catch { return NaN; } }));
log(`median rounds=${ROUNDS} a_p99_ms=${ms(med((o) => o.a.p99))} a_median_ms=${ms(med((o) => o.a.median))}` +
  ` b_p99_ms=${ms(med((o) => o.b.p99))} b_median_ms=${ms(med((o) => o.b.median))} b_walk_p99_ms=${ms(med((o) => o.b.walk_p99))}`);
for (const name of ['runsSummary', 'userSummary', 'taskReportSummary', 'subjectSummary', 'workflowsProcessedSummary',
  'workflowsProcessedByCategory', 'topWorkflowsProcessedSummary', 'topTasksProcessedSummary']) {
  log(`median rounds=${ROUNDS} ${name}_median_ms=${ms(med((o) => o[name].median))} p99_ms=${ms(med((o) => o[name].p99))}`);
}
log(`median rounds=${ROUNDS} export_rows_per_s=${Math.round(med((o) => o.e.rows_per_s))} vm_hwm_mb=${med((o) => o.e.hwm_mb).toFixed(1)}`);
const goals = {
  a: med((o) => o.a.p99) < 20,
  b: med((o) => o.b.p99) < 20,
  c: ['runsSummary', 'userSummary', 'taskReportSummary', 'subjectSummary'].every((n) => med((o) => o[n].median) < 200),
  d: ['workflowsProcessedSummary', 'workflowsProcessedByCategory', 'topWorkflowsProcessedSummary', 'topTasksProcessedSummary'].every((n) => med((o) => o[n].median) < 200),
  e: med((o) => o.e.rows_per_s) > 200000 && med((o) => o.e.hwm_mb) < 50,
};
log(`goals ${Object.entries(goals).map(([k, v]) => `${k}=${v ? 'met' : 'missed'}`).join(' ')}`);
if (!KEEP) fs.rmSync(DIR, { recursive: true, force: true });
