// SPDX-License-Identifier: MIT
//
// The lcw command-line client (issue 7), part 3: running workflows and their
// history. On-demand runs by UPN or id (`lcw run`), runs (list, show,
// summary, cancel), user processing results with task results and failure
// reasons, reprocess (a run, selected results, every failed user since a
// time) with --plan changing nothing and --wait returning only after the new
// run ends with the right exit status (0 completed, 4 otherwise), and the
// CSV export. No SMTP server is configured, so an email task fails
// deterministically; a custom task extension in callback mode keeps a run in
// progress for the cancel and --wait tests.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { startLcwd, removeDir, tempDir, LCWD, LW, GUID_RE, expectStatus, collectAll } from './lib/lcwd.mjs';
import { TD, task, joinerWorkflow } from './lib/fixtures.mjs';
import { startReceiver } from './lib/peers.mjs';
import { createUser, createWorkflow, waitFor, RUN_TIMEOUT_MS, ENUMS } from './lib/engine.mjs';

const LCW = path.join(path.dirname(LCWD), 'lcw');
const WFS = `${LW}/workflows`;

let d, home, rx;
let okWf, failWf, users;

function lcwEnv(env = {}) {
  const base = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LCW_') && k !== 'XDG_CONFIG_HOME') base[k] = v;
  return { ...base, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), LCW_URL: d.url, LCW_TOKEN: d.adminToken, ...env };
}

function lcw(args, { env = {}, timeoutMs = RUN_TIMEOUT_MS + 10000 } = {}) {
  return new Promise((resolve) => {
    execFile(LCW, args, { env: lcwEnv(env), timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function expectExit(r, code, what) {
  assert.equal(r.code, code, `${what}: expected exit ${code}, got ${r.code}\nstdout: ${r.stdout.slice(0, 1500)}\nstderr: ${r.stderr.slice(0, 1500)}`);
}

async function lcwJson(args, code = 0) {
  const r = await lcw([...args, '--json']);
  expectExit(r, code, args.join(' '));
  return JSON.parse(r.stdout);
}

const apiRuns = async (wfId) => (await collectAll(d, `${WFS}/${wfId}/runs`, { headers: ENUMS })).items;
const apiRun = async (wfId, runId) => (await d.api('GET', `${WFS}/${wfId}/runs/${runId}`, { headers: ENUMS })).json;
const apiResults = async (wfId) => (await collectAll(d, `${WFS}/${wfId}/userProcessingResults`, { headers: ENUMS })).items;

before(async () => {
  rx = await startReceiver();
  rx.respond = () => ({ status: 202, body: {} });
  d = await startLcwd();
  home = tempDir('lcw-cli-runs-home-');
  users = [];
  for (let i = 0; i < 3; i++) users.push(await createUser(d, { department: 'CLI' }));
  okWf = await createWorkflow(d, joinerWorkflow({ tasks: [task(TD.enableAccount, 'Enable')] }));
  failWf = await createWorkflow(d, joinerWorkflow({
    tasks: [task(TD.enableAccount, 'Enable'), task(TD.welcomeEmail, 'Welcome', [{ name: 'to', value: 'User' }])],
  }));
});

after(async () => {
  if (d) await d.stop();
  if (d) removeDir(d.dataDir);
  if (rx) await rx.close();
  removeDir(home);
});

test('run: users by UPN (any case) and id; --wait exits 0 for a completed run and 4 for a failed one; an unknown user exits 2 and starts nothing', async () => {
  const ok = await lcwJson(['run', okWf.displayName, '--user', users[0].userPrincipalName.toUpperCase(), '--user', users[1].id, '--wait']);
  assert.match(ok.id, GUID_RE);
  assert.equal(ok.processingStatus, 'completed');
  assert.equal(ok.totalUsersCount, 2);
  const api = await apiRun(okWf.id, ok.id);
  delete api['@odata.context'];
  assert.deepEqual(ok, api, '--json is the run as the API returns it');

  const failed = await lcw(['run', failWf.id, '-u', users[0].userPrincipalName, '-u', users[1].userPrincipalName, '-u', users[2].id, '--wait', '-q']);
  expectExit(failed, 4, 'a run that ends failed');
  const runId = failed.stdout.trim();
  assert.match(runId, GUID_RE, '-q prints the run id');
  assert.equal((await apiRun(failWf.id, runId)).processingStatus, 'failed', 'lcw returned after the run ended');
  assert.match(failed.stderr, /failed: 3 users, 3 failed/);

  const before = (await apiRuns(okWf.id)).length;
  const unknown = await lcw(['run', okWf.id, '--user', 'nobody.at.all@contoso.example']);
  expectExit(unknown, 2, 'an unknown user');
  assert.match(unknown.stderr, /nobody\.at\.all@contoso\.example/);
  assert.equal((await apiRuns(okWf.id)).length, before, 'no run was started');

  // Without --wait: the new run is printed at once.
  const started = await lcwJson(['run', okWf.id, '--user', users[2].userPrincipalName]);
  assert.match(started.id, GUID_RE);
  assert.ok(['queued', 'inProgress', 'completed'].includes(started.processingStatus));
  assert.equal(started.workflowExecutionType, 'onDemand');
});

test('runs list (--status, --since), runs show, and runs summary agree with the API', async () => {
  const api = await apiRuns(failWf.id);
  const all = await lcwJson(['runs', 'list', failWf.displayName]);
  assert.deepEqual(all, api);
  const failed = await lcwJson(['runs', 'list', failWf.id, '--status', 'failed']);
  assert.deepEqual(failed.map((r) => r.id), api.filter((r) => r.processingStatus === 'failed').map((r) => r.id));
  assert.deepEqual(await lcwJson(['runs', 'list', failWf.id, '--status', 'completed,canceled']), []);
  assert.equal((await lcwJson(['runs', 'list', failWf.id, '--since', '1h'])).length, api.length);
  assert.deepEqual(await lcwJson(['runs', 'list', failWf.id, '--since', '2999-01-01T00:00:00Z']), []);
  const one = await lcwJson(['runs', 'show', failWf.id, api[0].id]);
  assert.equal(one.id, api[0].id);
  assert.equal(one.failedUsersCount, api[0].failedUsersCount);
  expectExit(await lcw(['runs', 'show', failWf.id, '01a00000-0000-7000-8000-000000000000']), 2, 'an unknown run');

  const table = await lcw(['runs', 'list', failWf.id]);
  expectExit(table, 0, 'runs list');
  assert.ok(table.stdout.split('\n').some((l) => l.startsWith(`${api[0].id}\tfailed\t`)), table.stdout);

  const sum = await lcwJson(['runs', 'summary', failWf.id, '--since', '1d']);
  assert.equal(sum.totalRuns, api.length);
  assert.equal(sum.failedRuns, api.filter((r) => r.processingStatus === 'failed').length);
  const plain = await lcw(['runs', 'summary', failWf.id]);
  expectExit(plain, 0, 'runs summary');
  assert.match(plain.stdout, /Total runs: +\d+/);
});

test('results list (--run, --status, --since) and results show with task results and failure reasons', async () => {
  const api = await apiResults(failWf.id);
  const all = await lcwJson(['results', 'list', failWf.id]);
  assert.deepEqual(all.map((r) => r.id).sort(), api.map((r) => r.id).sort());
  assert.ok(all.every((r) => r.subject.userPrincipalName), 'subjects are expanded (userPrincipalName)');
  const run = (await apiRuns(failWf.id))[0];
  const ofRun = await lcwJson(['results', 'list', failWf.id, '--run', run.id, '--status', 'failed']);
  assert.equal(ofRun.length, run.failedUsersCount);
  assert.deepEqual(await lcwJson(['results', 'list', failWf.id, '--status', 'completed', '--since', '1h']), []);
  const q = await lcw(['results', 'list', failWf.id, '--run', run.id, '-q']);
  expectExit(q, 0, 'results -q');
  assert.equal(q.stdout.trim().split('\n').length, run.totalUsersCount);

  const shown = await lcwJson(['results', 'show', failWf.id, ofRun[0].id]);
  assert.equal(shown.id, ofRun[0].id);
  assert.equal(shown.processingStatus, 'failed');
  const welcome = shown.taskProcessingResults.find((t) => t.task.displayName === 'Welcome');
  assert.equal(welcome.processingStatus, 'failed');
  assert.match(welcome.failureReason, /SMTP/);
  const plain = await lcw(['results', 'show', failWf.id, ofRun[0].id]);
  expectExit(plain, 0, 'results show');
  assert.match(plain.stdout, /Task results:/);
  assert.match(plain.stdout, /Welcome\tfailed\t.*SMTP/);
});

test('reprocess --plan (run, users, failed) prints the plan and changes nothing', async () => {
  const runsBefore = await apiRuns(failWf.id);
  const resultsBefore = await apiResults(failWf.id);
  const auditBefore = (await collectAll(d, '/v1.0/auditLogs/directoryAudits')).items.length;
  const source = runsBefore.find((r) => r.processingStatus === 'failed');

  const plan = await lcwJson(['reprocess', 'run', failWf.id, source.id, '--failed-users', '--failed-tasks', '--plan']);
  assert.equal(plan.totalUsers, source.failedUsersCount);
  assert.ok(plan.value.every((u) => u.sourceRunId === source.id));
  assert.ok(plan.value.every((u) => u.tasks.map((t) => t.displayName).join() === 'Welcome'), 'failed tasks only');
  const all = await lcwJson(['reprocess', 'run', failWf.id, source.id, '--plan']);
  assert.ok(all.value.every((u) => u.tasks.length === 2), 'all tasks');

  const failedResults = resultsBefore.filter((r) => r.processingStatus === 'failed');
  const byResult = await lcwJson(['reprocess', 'users', failWf.id, failedResults[0].id, '--plan']);
  assert.equal(byResult.totalUsers, 1);
  assert.equal(byResult.value[0].sourceProcessingResultId, failedResults[0].id);
  const byQuery = await lcwJson(['reprocess', 'failed', failWf.id, '--since', '1h', '--plan']);
  assert.equal(byQuery.totalUsers, failedResults.length);

  const table = await lcw(['reprocess', 'run', failWf.id, source.id, '--failed-users', '--plan']);
  expectExit(table, 0, 'plan table');
  assert.match(table.stderr, /Nothing was changed/);

  assert.deepEqual(await apiRuns(failWf.id), runsBefore, 'no run was created or changed');
  assert.deepEqual(await apiResults(failWf.id), resultsBefore, 'no result changed');
  assert.equal((await collectAll(d, '/v1.0/auditLogs/directoryAudits')).items.length, auditBefore, 'nothing audited');
});

test('reprocess --wait returns after the new run ends: 4 when it fails again, 0 when it completes; refusals exit 2', async () => {
  const source = (await apiRuns(failWf.id)).find((r) => r.processingStatus === 'failed');
  const again = await lcw(['reprocess', 'run', failWf.id, source.id, '--failed-users', '--failed-tasks', '--wait', '--json']);
  expectExit(again, 4, 'a reprocess that fails again');
  const run = JSON.parse(again.stdout);
  assert.equal(run.processingStatus, 'failed');
  assert.equal(run.workflowExecutionType, 'activatedWithScope');
  assert.equal(run.totalUsersCount, source.failedUsersCount);
  assert.equal((await apiRun(failWf.id, run.id)).processingStatus, 'failed');
  const lineage = (await d.api('GET', `${WFS}/${failWf.id}/runs/${source.id}/reprocessedRuns`, { headers: ENUMS })).json.value;
  assert.ok(lineage.some((r) => r.id === run.id), 'the new run is linked from its source');

  const okSource = (await apiRuns(okWf.id)).find((r) => r.processingStatus === 'completed');
  const ok = await lcw(['reprocess', 'run', okWf.id, okSource.id, '--wait', '-q']);
  expectExit(ok, 0, 'a reprocess that completes');
  assert.equal((await apiRun(okWf.id, ok.stdout.trim())).processingStatus, 'completed');

  const failedResult = (await apiResults(failWf.id)).find((r) => r.processingStatus === 'failed');
  expectExit(await lcw(['reprocess', 'users', failWf.id, failedResult.id, '--failed-tasks', '--wait']), 4, 'reprocess users');
  const byQuery = await lcw(['reprocess', 'failed', failWf.id, '--since', '1h', '--wait', '--json']);
  expectExit(byQuery, 4, 'reprocess failed');
  assert.equal(JSON.parse(byQuery.stdout).activatedOnScope['@odata.type'], '#lcw.activateQueryScope');

  const unknown = await lcw(['reprocess', 'users', failWf.id, '01a00000-0000-7000-8000-000000000000']);
  expectExit(unknown, 2, 'an unknown result');
  assert.match(unknown.stderr, /ResourceNotFound \(HTTP 404\)/);
});

test('--wait follows an in-progress run until it ends; runs cancel ends it (exit 4 for the waiter); canceling a final run exits 2', async () => {
  const ext = await d.api('POST', `${LW}/customTaskExtensions`, {
    body: {
      displayName: 'CLI hold',
      endpointConfiguration: { '@odata.type': '#microsoft.graph.httpRequestEndpoint', targetUrl: `${rx.url}/hold` },
      authenticationConfiguration: { '@odata.type': '#lcw.sharedSecretAuthentication', secret: 'cli-test-shared-secret-0123456789' },
      clientConfiguration: { timeoutInMilliseconds: 2000, maximumRetries: 0 },
      replyMode: 'callback',
      callbackConfiguration: { timeoutDuration: 'PT5M' },
    },
  });
  expectStatus(ext, 201, 'create the extension');
  const wf = await createWorkflow(d, joinerWorkflow({
    tasks: [task(TD.customExtension, 'Hold', [{ name: 'customTaskExtensionID', value: ext.json.id }])],
  }));
  const child = spawn(LCW, ['run', wf.id, '--user', users[0].id, '--wait', '--json'], { env: lcwEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (b) => { out += b; });
  child.stderr.on('data', (b) => { err += b; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const running = await waitFor(async () => {
      const runs = await apiRuns(wf.id);
      return runs.length === 1 && runs[0].processingStatus === 'inProgress' ? runs[0] : null;
    }, { what: 'the run to be in progress' });
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(child.exitCode, null, `lcw --wait is still waiting while the run is in progress (stderr: ${err})`);

    const cancel = await lcw(['runs', 'cancel', wf.displayName, running.id]);
    expectExit(cancel, 0, 'runs cancel');
    let timer;
    const code = await Promise.race([exited, new Promise((r) => { timer = setTimeout(() => r('timeout'), RUN_TIMEOUT_MS); })]);
    clearTimeout(timer);
    assert.equal(code, 4, `the waiter exits 4 when the run is canceled (stderr: ${err})`);
    const final = JSON.parse(out);
    assert.equal(final.id, running.id);
    assert.equal(final.processingStatus, 'canceled');
    assert.equal((await apiRun(wf.id, running.id)).processingStatus, 'canceled');

    const again = await lcw(['runs', 'cancel', wf.id, running.id]);
    expectExit(again, 2, 'cancel a final run');
    assert.match(again.stderr, /HTTP 409/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('export results|runs|tasks prints CSV with one header row and every row', async () => {
  const runs = await apiRuns(failWf.id);
  const results = await apiResults(failWf.id);
  const probe = await d.api('GET', `${WFS}/${failWf.id}/runs`, { headers: { Accept: 'text/csv' } });
  const rows = (text) => text.split(/\r?\n/).filter((l) => l.length > 0);

  const r = await lcw(['export', failWf.displayName, 'runs', '--since', '1d']);
  expectExit(r, 0, 'export runs');
  assert.equal(r.stdout, probe.text, 'the CSV is the API\'s export');
  assert.equal(rows(r.stdout).length, runs.length + 1);
  assert.match(rows(r.stdout)[0], /(^|,)id(,|$)/);

  const res = await lcw(['export', failWf.id, 'results']);
  expectExit(res, 0, 'export results');
  assert.equal(rows(res.stdout).length, results.length + 1);

  let taskCount = 0;
  for (const run of runs) taskCount += (await collectAll(d, `${WFS}/${failWf.id}/runs/${run.id}/taskProcessingResults`)).items.length;
  const tasks = await lcw(['export', failWf.id, 'tasks', '--since', '1d']);
  expectExit(tasks, 0, 'export tasks');
  const lines = rows(tasks.stdout);
  assert.equal(lines.length, taskCount + 1, 'one header row, then every task result of every run');
  assert.equal(lines.filter((l) => l === lines[0]).length, 1, 'the header appears once');

  const none = await lcw(['export', failWf.id, 'results', '--since', '2999-01-01']);
  expectExit(none, 0, 'an empty window');
  assert.equal(rows(none.stdout).length, 1, 'just the header');
});
