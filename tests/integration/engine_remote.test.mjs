// SPDX-License-Identifier: MIT
// The remote executors and what depends on them (issue 3 "Email tasks",
// "Run a custom task extension"; spec 5.6 resume, 7; product A.2 statuses,
// A.3 double check, A.4.2): welcome email over a real SMTP server (aiosmtpd,
// started here), custom task extensions against a real HTTP receiver in
// this process (fire-and-forget, failures and the one retry, callback with
// resume completed / failed / unauthorised / not waiting / late), a run
// canceled while a user waits, the queued and inProgress statuses, and the
// double check before a scheduled user is processed.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startLcwd, removeDir, LW, ROLES, expectStatus, expectGraphError } from './lib/lcwd.mjs';
import { TD, task, joinerWorkflow, leaverWorkflow, ruleScope, timeTrigger } from './lib/fixtures.mjs';
import { startSmtp, startReceiver } from './lib/peers.mjs';
import {
  WFS, NS, SANITIZE_FACTOR, createUser, getUser, patchUser, createWorkflow, workflowFor, activate, getRun,
  waitRunFinal, runHistory, assertCountersMatch, tasksOf, userResultOf, listRuns, waitFor, tag, FINAL,
} from './lib/engine.mjs';

const FROM = 'lcw@contoso.example';
const SECRET = 'receiver-shared-secret-0123456789abcdef';
const CANCEL = (runId) => ({ scope: { '@odata.type': NS + 'cancelRunsScope', runs: [{ id: runId }] } });
const RESUME = (status, reasons) => ({
  data: { operationStatus: status, ...(reasons ? { statusReasons: reasons } : {}) }, source: 'x', type: 'lifecycleEvent',
});
const HOUR = 3600 * 1000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const WAIT_MS = 15000 * SANITIZE_FACTOR;

describe('engine: email and custom task extensions', () => {
  let d, smtp, rx, reader;
  const routes = {}; // receiver path -> (req) => answer

  before(async () => {
    smtp = await startSmtp();
    rx = await startReceiver();
    rx.respond = (req) => (routes[req.url] ? routes[req.url](req) : { status: 404, body: { error: 'no route' } });
    d = await startLcwd({ env: { LCW_SMTP_URL: smtp.url, LCW_SMTP_FROM: FROM } });
    reader = await d.token(ROLES.GR, 'reader');
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
    if (rx) await rx.close();
    if (smtp) await smtp.stop();
  });

  /** A custom task extension posting to a fresh receiver path answered by `answer`. */
  async function extension({ mode = 'none', answer = () => ({ status: 202, body: {} }), client } = {}) {
    const path = `/hook/${tag()}`;
    routes[path] = answer;
    const body = {
      displayName: tag('Ext '),
      endpointConfiguration: { '@odata.type': '#microsoft.graph.httpRequestEndpoint', targetUrl: rx.url + path },
      authenticationConfiguration: { '@odata.type': '#lcw.sharedSecretAuthentication', secret: SECRET },
      clientConfiguration: client || { timeoutInMilliseconds: 2000, maximumRetries: 1 },
      replyMode: mode,
    };
    if (mode === 'callback') body.callbackConfiguration = { timeoutDuration: 'PT5M' };
    const r = await d.api('POST', `${LW}/customTaskExtensions`, { body });
    expectStatus(r, 201, 'create custom task extension');
    return { ...r.json, path };
  }
  const extTask = (ext, name = 'Extension', extra = {}) => task(TD.customExtension, name, [{ name: 'customTaskExtensionID', value: ext.id }], extra);
  const requestsTo = (ext) => rx.requests.filter((q) => q.url === ext.path);

  async function taskResultNamed(wfId, runId, userId, name) {
    const h = await runHistory(d, wfId, runId);
    return tasksOf(h, userId)[name];
  }

  // ------------------------------------------------------------- email

  test('welcome email over SMTP: the message reaches the mailbox with the right To/Cc, placeholders substituted, Message-ID in processingInfo', async () => {
    const mgr = await createUser(d, { displayName: 'Grace Manager', mail: `${tag('mgr')}@contoso.example` });
    const u = await createUser(d, { displayName: 'Ada Newhire', givenName: 'Ada', department: 'Research', mail: `${tag('ada')}@contoso.example` });
    expectStatus(await d.api('PUT', `/v1.0/users/${u.id}/manager/$ref`, { body: { '@odata.id': `${d.url}/v1.0/users/${mgr.id}` } }), 204);
    const wf = await createWorkflow(d, joinerWorkflow({
      tasks: [
        task(TD.welcomeEmail, 'Default welcome'),
        task(TD.welcomeEmail, 'Custom welcome', [
          { name: 'to', value: 'User' },
          { name: 'cc', value: mgr.id },
          { name: 'customSubject', value: 'Hello {{userGivenName}} of {{user.department}}' },
          { name: 'customBody', value: 'Your manager is {{managerDisplayName}} <{{managerEmail}}>.' },
        ]),
      ],
    }));
    const { runId } = await activate(d, wf.id, [u.id]);
    const run = await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    assert.equal(run.processingStatus, 'completed', JSON.stringify(h.tasks.map((t) => [t.task.displayName, t.processingStatus, t.failureReason])));
    const t = tasksOf(h, u.id);
    const msgs = await smtp.waitForMessages((m) => m.headers['x-lcw-workflow-id'] === wf.id, 2);
    const byTr = Object.fromEntries(msgs.map((m) => [m.headers['x-lcw-task-processing-result-id'], m]));
    const def = byTr[t['Default welcome'].id];
    const cus = byTr[t['Custom welcome'].id];
    assert.ok(def && cus, `a message per task result (have ${Object.keys(byTr)})`);

    assert.ok(def.headers.to.includes(u.mail), `To: ${def.headers.to}`);
    assert.ok(def.headers.from.includes(FROM), `From: ${def.headers.from}`);
    assert.equal(def.headers.subject, 'Welcome, Ada Newhire');
    assert.ok(def.body.includes(u.userPrincipalName), 'the default body names the UPN');
    assert.ok(!/\{\{/.test(def.body + def.headers.subject), 'a placeholder was left in the default message');

    assert.ok(cus.headers.to.includes(u.mail), `To: ${cus.headers.to}`);
    assert.ok((cus.headers.cc || '').includes(mgr.mail), `Cc: ${cus.headers.cc}`);
    assert.ok((cus.headers['x-rcptto'] || '').includes(mgr.mail), `the cc is an envelope recipient: ${cus.headers['x-rcptto']}`);
    assert.equal(cus.headers.subject, 'Hello Ada of Research');
    assert.ok(cus.body.includes(`Your manager is Grace Manager &lt;${mgr.mail}&gt;.`), `custom body: ${cus.body}`);

    for (const [name, m] of [['Default welcome', def], ['Custom welcome', cus]]) {
      const mid = m.headers['message-id'];
      assert.ok(mid, 'no Message-ID header');
      assert.ok(t[name].processingInfo.includes(mid), `${name}: processingInfo '${t[name].processingInfo}' lacks the Message-ID ${mid}`);
    }
  });

  test('email failures: user without mail -> failed with the reason, nothing sent; manager email without a manager -> failed', async () => {
    const before = smtp.messages().length;
    const u = await createUser(d, { mail: null });
    const wf = await createWorkflow(d, joinerWorkflow({
      tasks: [
        task(TD.welcomeEmail, 'Welcome', [], { continueOnError: true }),
        task(TD.onboardingReminder, 'Reminder to manager', [], { continueOnError: true }),
      ],
    }));
    const { runId } = await activate(d, wf.id, [u.id]);
    await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    const t = tasksOf(h, u.id);
    assert.equal(t.Welcome.processingStatus, 'failed');
    assert.match(t.Welcome.failureReason, /no email address/i);
    assert.equal(t['Reminder to manager'].processingStatus, 'failed');
    assert.match(t['Reminder to manager'].failureReason, /manager/i);
    assert.equal(userResultOf(h, u.id).processingStatus, 'completedWithErrors');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(smtp.messages().length, before, 'a message was sent for a task that failed');
  });

  test('Generate TAP and send email: the manager gets the pass; the user lists one TAP method without the secret; the pass is stored nowhere in clear', async () => {
    const mgr = await createUser(d, { displayName: 'Tap Manager', mail: `${tag('tapm')}@contoso.example` });
    const hire = Date.now() + 2 * 24 * HOUR;
    const u = await createUser(d, { displayName: 'Tap Newhire', employeeHireDate: iso(hire), accountEnabled: false });
    expectStatus(await d.api('PUT', `/v1.0/users/${u.id}/manager/$ref`, { body: { '@odata.id': `${d.url}/v1.0/users/${mgr.id}` } }), 204);
    const wf = await createWorkflow(d, joinerWorkflow({
      tasks: [task(TD.tap, 'TAP', [{ name: 'tapLifetimeMinutes', value: '120' }, { name: 'tapIsUsableOnce', value: 'true' }])],
    }));
    const { runId } = await activate(d, wf.id, [u.id]);
    await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    const tr = tasksOf(h, u.id).TAP;
    assert.equal(tr.processingStatus, 'completed', tr.failureReason);
    const [m] = await smtp.waitForMessages((x) => x.headers['x-lcw-task-processing-result-id'] === tr.id, 1);
    assert.ok(m.headers.to.includes(mgr.mail), `the pass goes to the manager by default: ${m.headers.to}`);
    const pass = (m.body.match(/<b>([A-Za-z0-9]{12})<\/b>/) || [])[1];
    assert.ok(pass, `no 12-character pass in the message: ${m.body.slice(0, 600)}`);
    const methods = await d.api('GET', `/v1.0/users/${u.id}/authentication/temporaryAccessPassMethods`);
    expectStatus(methods, 200, 'list TAP methods');
    assert.equal(methods.json.value.length, 1);
    const tap = methods.json.value[0];
    assert.equal(tap.lifetimeInMinutes, 120);
    assert.equal(tap.isUsableOnce, true);
    assert.equal(Date.parse(tap.startDateTime), Date.parse(iso(hire)), 'a TAP starts at a future hire date');
    assert.ok(!methods.text.includes(pass), 'the TAP method list shows the pass');
    assert.ok(!(tr.processingInfo || '').includes(pass), 'processingInfo shows the pass');
    assert.ok(!d.stderr.includes(pass), 'the pass was logged');
    const fs = await import('node:fs');
    for (const f of fs.readdirSync(d.dataDir)) {
      const p = `${d.dataDir}/${f}`;
      if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p).includes(Buffer.from(pass)), `the pass is stored in clear in ${f}`);
    }
  });

  test('previewTaskFailures does not list email tasks when SMTP is configured', async () => {
    const wf = await createWorkflow(d, joinerWorkflow({ tasks: [task(TD.welcomeEmail, 'Welcome')] }));
    const r = await d.api('POST', `${WFS}/${wf.id}/previewTaskFailures`);
    expectStatus(r, 200);
    assert.deepEqual(r.json.value, []);
  });

  // -------------------------------------------------------- extensions

  test('extension, fire-and-forget: the receiver gets the signed callout payload; 2xx -> task completed', async () => {
    const ext = await extension({ mode: 'none', answer: () => ({ status: 202, body: {} }) });
    const mgr = await createUser(d, { mail: `${tag('m')}@contoso.example` });
    const u = await createUser(d, { mail: `${tag('s')}@contoso.example` });
    expectStatus(await d.api('PUT', `/v1.0/users/${u.id}/manager/$ref`, { body: { '@odata.id': `${d.url}/v1.0/users/${mgr.id}` } }), 204);
    const wf = await createWorkflow(d, workflowFor([extTask(ext)]));
    const { runId } = await activate(d, wf.id, [u.id]);
    const run = await waitRunFinal(d, wf.id, runId);
    assert.equal(run.processingStatus, 'completed');
    const tr = await taskResultNamed(wf.id, runId, u.id, 'Extension');
    assert.equal(tr.processingStatus, 'completed');
    const [req] = requestsTo(ext);
    assert.ok(req, 'the receiver was not called');
    assert.equal(req.method, 'POST');
    assert.equal(req.headers.authorization, `Bearer ${SECRET}`);
    assert.match(req.headers['content-type'], /^application\/json/);
    const sig = `sha256=${createHmac('sha256', SECRET).update(req.text).digest('hex')}`;
    assert.equal(req.headers['x-lcw-signature'], sig, 'X-Lcw-Signature is the HMAC-SHA256 of the body');
    const data = req.json?.data;
    assert.ok(data, `payload: ${req.text}`);
    assert.equal(req.json.type, 'lifecycleEvent');
    assert.equal(data.subject.id, u.id);
    assert.equal(data.subject.email, u.mail);
    assert.equal(data.subject.userPrincipalName, u.userPrincipalName);
    assert.equal(data.subject.manager?.id, mgr.id);
    assert.equal(data.task.id, tr.task.id);
    assert.equal(data.taskProcessingResult.id, tr.id);
    assert.equal(data.workflow.id, wf.id);
    assert.equal(data.workflow.workflowVerson ?? data.workflow.workflowVersion, 1);
    assert.equal(data.callbackUriPath, `/identityGovernance/lifecycleWorkflows/workflows/${wf.id}/tasks/${tr.task.id}/taskProcessingResults/${tr.id}/resume`);
  });

  test('extension failures: 4xx -> failed naming the status; 5xx then 2xx -> one retry, completed', async () => {
    const bad = await extension({ answer: () => ({ status: 400, body: { error: 'bad input' } }) });
    let calls = 0;
    const flaky = await extension({ answer: () => (++calls === 1 ? { status: 503, body: {} } : { status: 200, body: {} }) });
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([extTask(bad, 'Bad', { continueOnError: true }), extTask(flaky, 'Flaky')]));
    const { runId } = await activate(d, wf.id, [u.id]);
    await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    const t = tasksOf(h, u.id);
    assert.equal(t.Bad.processingStatus, 'failed');
    assert.match(t.Bad.failureReason, /400/);
    assert.equal(requestsTo(bad).length, 1, 'a 4xx must not be retried');
    assert.equal(t.Flaky.processingStatus, 'completed', t.Flaky.failureReason);
    assert.equal(requestsTo(flaky).length, 2, 'a 503 is retried once (maximumRetries 1)');
  });

  test('extension callback: task, user and run inProgress while waiting; resume with the shared secret completes it and the run', async () => {
    const ext = await extension({ mode: 'callback' });
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([extTask(ext), task(TD.revokeRefreshTokens, 'Revoke')]));
    const { runId } = await activate(d, wf.id, [u.id]);
    await rx.waitForRequests(1, (q) => q.url === ext.path);
    const waiting = await waitFor(async () => {
      const tr = await taskResultNamed(wf.id, runId, u.id, 'Extension');
      return tr && tr.processingStatus === 'inProgress' ? tr : null;
    }, { timeoutMs: WAIT_MS, what: 'the extension task to wait for its callback' });
    await new Promise((r) => setTimeout(r, 300));
    const h = await runHistory(d, wf.id, runId);
    assert.equal(h.run.processingStatus, 'inProgress');
    assert.equal(userResultOf(h, u.id).processingStatus, 'inProgress');
    assert.equal(tasksOf(h, u.id).Extension.processingStatus, 'inProgress', 'still waiting');
    assert.ok(!tasksOf(h, u.id).Revoke || tasksOf(h, u.id).Revoke.processingStatus === 'queued', 'the next task ran before the callback');
    assert.equal(waiting.completedDateTime ?? null, null);

    const url = `${WFS}/${wf.id}/tasks/${waiting.task.id}/taskProcessingResults/${waiting.id}/resume`;
    expectGraphError(await d.api('POST', url, { token: reader, body: RESUME('Completed') }), 403);
    expectGraphError(await d.api('POST', url, { token: 'not-the-secret-and-not-a-token', body: RESUME('Completed') }), 403);
    expectGraphError(await d.api('POST', url, { token: SECRET, body: { data: { operationStatus: 'maybe' }, source: 'x', type: 'lifecycleEvent' } }), 400);
    expectGraphError(await d.api('POST', `${WFS}/${wf.id}/tasks/${waiting.task.id}/taskProcessingResults/0badc0de-6666-4666-8666-000000000009/resume`, { token: SECRET, body: RESUME('Completed') }), 404);
    assert.equal((await taskResultNamed(wf.id, runId, u.id, 'Extension')).processingStatus, 'inProgress', 'a refused resume changed the task');

    const ok = await d.api('POST', url, { token: SECRET, body: RESUME('Completed') });
    expectStatus(ok, 204, 'resume with the extension secret');
    const run = await waitRunFinal(d, wf.id, runId, { timeoutMs: WAIT_MS });
    assert.equal(run.processingStatus, 'completed');
    const fin = await runHistory(d, wf.id, runId);
    assertCountersMatch(fin);
    assert.equal(tasksOf(fin, u.id).Extension.processingStatus, 'completed');
    assert.equal(tasksOf(fin, u.id).Revoke.processingStatus, 'completed');
    // Not waiting any more -> 409.
    expectGraphError(await d.api('POST', url, { token: SECRET, body: RESUME('Completed') }), 409);
  });

  test('extension callback: resume with failed -> task failed with the reasons; continueOnError false stops the user', async () => {
    const ext = await extension({ mode: 'callback' });
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([extTask(ext), task(TD.disableAccount, 'Disable')]));
        const { runId } = await activate(d, wf.id, [u.id]);
    await rx.waitForRequests(1, (q) => q.url === ext.path);
    const waiting = await waitFor(async () => {
      const tr = await taskResultNamed(wf.id, runId, u.id, 'Extension');
      return tr && tr.processingStatus === 'inProgress' ? tr : null;
    }, { timeoutMs: WAIT_MS, what: 'the extension task to wait' });
    const url = `${WFS}/${wf.id}/tasks/${waiting.task.id}/taskProcessingResults/${waiting.id}/resume`;
    expectStatus(await d.api('POST', url, { token: SECRET, body: RESUME('Failed', ['the HR system said no']) }), 204);
    const run = await waitRunFinal(d, wf.id, runId, { timeoutMs: WAIT_MS });
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    const t = tasksOf(h, u.id);
    assert.equal(t.Extension.processingStatus, 'failed');
    assert.match(t.Extension.failureReason, /the HR system said no/);
    assert.equal(t.Disable.processingStatus, 'canceled');
    assert.equal(userResultOf(h, u.id).processingStatus, 'failed');
    assert.equal(run.processingStatus, 'failed');
    assert.equal((await getUser(d, u.id)).accountEnabled, true);
  });

    test('extension callback before the callout is answered: the callback is taken, the run completes without waiting for the timeout', async () => {
    let resumed = null;
    const ext = await extension({
      mode: 'callback',
      // A fast extension: it calls back while lcwd still waits for its reply.
      answer: async (q) => {
        resumed = await d.api('POST', `/v1.0${q.json.data.callbackUriPath}`, { token: SECRET, body: RESUME('Completed', ['answered at once']) });
        return { status: 202, body: {} };
      },
    });
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([extTask(ext), task(TD.revokeRefreshTokens, 'Revoke')]));
    const { runId } = await activate(d, wf.id, [u.id]);
    const run = await waitRunFinal(d, wf.id, runId, { timeoutMs: WAIT_MS });
    expectStatus(resumed, 204, 'a callback during the callout');
    assert.equal(run.processingStatus, 'completed');
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    const t = tasksOf(h, u.id);
    assert.equal(t.Extension.processingStatus, 'completed');
    assert.match(t.Extension.processingInfo, /answered at once/);
    assert.equal(t.Revoke.processingStatus, 'completed');
    assert.equal(requestsTo(ext).length, 1, 'the callout is not sent again');
  });

  test('resume through another workflow\'s URL -> 404, and the task result stays where it was', async () => {
    const ext = await extension({ mode: 'callback' });
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([extTask(ext)]));
    const decoy = await createWorkflow(d, workflowFor([task(TD.disableAccount, 'Disable')]));
    const { runId } = await activate(d, wf.id, [u.id]);
    const waiting = await waitFor(async () => {
      const tr = await taskResultNamed(wf.id, runId, u.id, 'Extension');
      return tr && tr.processingStatus === 'inProgress' ? tr : null;
    }, { timeoutMs: WAIT_MS, what: 'the extension task to wait' });
    const wrong = `${WFS}/${decoy.id}/tasks/${waiting.task.id}/taskProcessingResults/${waiting.id}/resume`;
    expectGraphError(await d.api('POST', wrong, { token: SECRET, body: RESUME('Completed') }), 404);
    const still = await taskResultNamed(wf.id, runId, u.id, 'Extension');
    assert.ok(still, 'the task result left its workflow');
    assert.equal(still.processingStatus, 'inProgress');
    expectStatus(await d.api('POST', `${WFS}/${wf.id}/tasks/${waiting.task.id}/taskProcessingResults/${waiting.id}/resume`, { token: SECRET, body: RESUME('Completed') }), 204);
    assert.equal((await waitRunFinal(d, wf.id, runId, { timeoutMs: WAIT_MS })).processingStatus, 'completed');
  });

  test('cancelProcessing while users wait for a callback: the run becomes canceled, tasks not started are canceled, a late callback -> 409', async () => {
    const ext = await extension({ mode: 'callback' });
    const a = await createUser(d);
    const b = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([extTask(ext), task(TD.disableAccount, 'Disable')]));
    const { runId } = await activate(d, wf.id, [a.id, b.id]);
    await rx.waitForRequests(2, (q) => q.url === ext.path);
    const waiting = await waitFor(async () => {
      const h = await runHistory(d, wf.id, runId);
      const ts = h.tasks.filter((t) => t.task.displayName === 'Extension' && t.processingStatus === 'inProgress');
      return ts.length === 2 ? ts : null;
    }, { timeoutMs: WAIT_MS, what: 'both users to wait for their callback' });
    assert.equal((await getRun(d, wf.id, runId)).processingStatus, 'inProgress');

    expectStatus(await d.api('POST', `${WFS}/${wf.id}/cancelProcessing`, { body: CANCEL(runId) }), 204, 'cancel an in-progress run');
    // The cancel must take effect promptly, not when the callback window (PT5M) ends.
    const run = await waitRunFinal(d, wf.id, runId, { timeoutMs: 8000 * SANITIZE_FACTOR });
    assert.equal(run.processingStatus, 'canceled', 'a run canceled while in progress is canceled');
    const h = await runHistory(d, wf.id, runId);
    assertCountersMatch(h);
    for (const u of [a, b]) {
      assert.equal(userResultOf(h, u.id).processingStatus, 'canceled');
      assert.equal(tasksOf(h, u.id).Disable.processingStatus, 'canceled', 'a task not yet started must be canceled');
      assert.equal((await getUser(d, u.id)).accountEnabled, true, 'a canceled task ran');
    }
    for (const t of h.tasks) assert.ok(FINAL.includes(t.processingStatus), `task result ${t.id} of a final run is ${t.processingStatus}`);
    // The late callback finds nothing waiting.
    const late = waiting[0];
    expectGraphError(await d.api('POST', `${WFS}/${wf.id}/tasks/${late.task.id}/taskProcessingResults/${late.id}/resume`, { token: SECRET, body: RESUME('Completed') }), 409);
    expectGraphError(await d.api('POST', `${WFS}/${wf.id}/cancelProcessing`, { body: CANCEL(runId) }), 409);
  });

  test('a callback that arrives after its run was canceled -> 409, and every task keeps exactly one result', async () => {
    const ext = await extension({ mode: 'callback' });
    const u = await createUser(d);
    const wf = await createWorkflow(d, workflowFor([extTask(ext), task(TD.disableAccount, 'Disable')]));
    const { runId } = await activate(d, wf.id, [u.id]);
    const waiting = await waitFor(async () => {
      const tr = await taskResultNamed(wf.id, runId, u.id, 'Extension');
      return tr && tr.processingStatus === 'inProgress' ? tr : null;
    }, { timeoutMs: WAIT_MS, what: 'the extension task to wait' });
    expectStatus(await d.api('POST', `${WFS}/${wf.id}/cancelProcessing`, { body: CANCEL(runId) }), 204);
    const late = await d.api('POST', `${WFS}/${wf.id}/tasks/${waiting.task.id}/taskProcessingResults/${waiting.id}/resume`, { token: SECRET, body: RESUME('Completed') });
    // Whatever the answer, the run must end with one result per task.
    await waitRunFinal(d, wf.id, runId, { timeoutMs: 8000 * SANITIZE_FACTOR });
    const h = await runHistory(d, wf.id, runId);
    const perTask = {};
    for (const t of h.tasks) perTask[t.task.displayName] = (perTask[t.task.displayName] || 0) + 1;
    assert.deepEqual(perTask, { Extension: 1, Disable: 1 }, `task results after a late callback: ${JSON.stringify(h.tasks.map((t) => [t.task.displayName, t.processingStatus]))}`);
    assertCountersMatch(h);
    assert.equal(h.run.processingStatus, 'canceled');
    expectGraphError(late, 409);
  });
});

describe('engine: queued users and the double check before processing', () => {
  // One worker, kept busy by an extension whose receiver holds each call:
  // a scheduled run created meanwhile stays queued, observably; the user is
  // moved out of scope before the worker gets to it.
  let d, rx;
  before(async () => {
    rx = await startReceiver({ maxHoldMs: 1800 });
    d = await startLcwd({ env: { LCW_WORKERS: '1', LCW_SCHEDULE_INTERVAL_SECONDS: '1' } });
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
    if (rx) await rx.close();
  });

  test('a scheduled run is queued while the worker is busy; a user who no longer qualifies is canceled with a reason; the run is completedWithErrors', async () => {
    let holding = true;
    rx.respond = () => (holding ? { hold: true, status: 200, body: {} } : { status: 200, body: {} });
    const ext = await d.api('POST', `${LW}/customTaskExtensions`, {
      body: {
        displayName: tag('Hold '),
        endpointConfiguration: { '@odata.type': '#microsoft.graph.httpRequestEndpoint', targetUrl: `${rx.url}/hold` },
        authenticationConfiguration: { '@odata.type': '#lcw.sharedSecretAuthentication', secret: SECRET },
        clientConfiguration: { timeoutInMilliseconds: 2000, maximumRetries: 0 },
        replyMode: 'none',
      },
    });
    expectStatus(ext, 201);
    const blockers = [await createUser(d), await createUser(d), await createUser(d)];
    const dept = tag('DC');
    const target = await createUser(d, { department: dept, employeeHireDate: iso(Date.now() - HOUR), accountEnabled: false });
    const busy = await createWorkflow(d, leaverWorkflow({ tasks: [task(TD.customExtension, 'Hold', [{ name: 'customTaskExtensionID', value: ext.json.id }])] }));
    const wf = await createWorkflow(d, joinerWorkflow({
      isSchedulingEnabled: false,
      executionConditions: { '@odata.type': NS + 'triggerAndScopeBasedConditions', scope: ruleScope(`department eq '${dept}'`), trigger: timeTrigger('employeeHireDate', 0) },
      tasks: [task(TD.enableAccount, 'Enable')],
    }));
    try {
      const busyRun = await activate(d, busy.id, blockers.map((u) => u.id));
      await rx.waitForRequests(1);
      expectStatus(await d.api('PATCH', `${WFS}/${wf.id}`, { body: { isSchedulingEnabled: true } }), 204);
      const runs = await waitFor(async () => {
        const r = await listRuns(d, wf.id);
        return r.length ? r : null;
      }, { timeoutMs: 4000, intervalMs: 50, what: 'the scheduled run while the worker is busy' });
      const runId = runs[0].id;
      const queued = await runHistory(d, wf.id, runId);
      assert.equal(queued.run.processingStatus, 'queued', 'the run waits for a worker');
      assert.equal(userResultOf(queued, target.id).processingStatus, 'queued');
      assert.equal(queued.run.startedDateTime ?? null, null, 'a queued run has no startedDateTime');
      // The user leaves the scope before the worker gets to them.
      await patchUser(d, target.id, { department: `${dept}-moved` });
      holding = false;
      rx.releaseAll();
      await waitRunFinal(d, busy.id, busyRun.runId, { timeoutMs: WAIT_MS });
      const run = await waitRunFinal(d, wf.id, runId, { timeoutMs: WAIT_MS });
      const h = await runHistory(d, wf.id, runId);
      assertCountersMatch(h);
      const ur = userResultOf(h, target.id);
      assert.equal(ur.processingStatus, 'canceled', 'a user who no longer qualifies must be canceled');
      assert.equal(tasksOf(h, target.id).Enable.processingStatus, 'canceled');
      assert.match(tasksOf(h, target.id).Enable.failureReason || '', /scope|no longer/i, 'the cancel says why');
      assert.equal((await getUser(d, target.id)).accountEnabled, false, 'the task ran for a user who no longer qualified');
      assert.equal(run.processingStatus, 'completedWithErrors', 'a run whose users were all canceled before starting is completedWithErrors');
    } finally {
      holding = false;
      rx.releaseAll();
      await d.api('PATCH', `${WFS}/${wf.id}`, { body: { isSchedulingEnabled: false } });
    }
  });
});
