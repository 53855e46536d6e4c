// SPDX-License-Identifier: MIT
// Reprocess scopes (issue 4; DESIGN section 5; spec 3.17, 6; product A.1):
// every scope (run, processingResults, user, the legacy `subjects` body,
// #lcw.activateQueryScope) x userScope x taskScope against one source run
// whose users ended completed, completedWithErrors and failed for causes a
// test controls (a user without mail, a user without a manager); for each
// combination the plan (planActivation) must predict exactly the users and
// tasks the activation then runs, the new run is activatedWithScope with
// activatedOnScope equal to the submitted scope, and the source never
// changes. Also: the query scope over several runs, the version choice after
// createNewVersion, Prefer: return=representation, lineage both ways and its
// $ref removal, and the audit events.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, ROLES, expectStatus, expectGraphError, collectAll, isRfc3339, GUID_RE } from './lib/lcwd.mjs';
import { TD, task, joinerWorkflow } from './lib/fixtures.mjs';
import { startSmtp } from './lib/peers.mjs';
import {
  WFS, NS, ENUMS, createUser, getUser, patchUser, createGroup, createWorkflow, activate, waitRunFinal, runHistory,
  assertCountersMatch, tasksOf, userResultOf, memberOf, tag,
} from './lib/engine.mjs';
import {
  runScope, resultsScope, userScope, legacySubjects, queryScope, reprocess, tryReprocess, plan, planPairs, runPairs,
  runLineage, resultLineage, runResultLineage, frozen, auditEvents, snapshot,
} from './lib/reprocess.mjs';

const FROM = 'lcw@contoso.example';
const sortPairs = (pairs) => pairs.map(([u, ts]) => [u, [...ts].sort()]).sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe('reprocess: scopes, plans, versions, lineage', () => {
  let d, smtp, reader, group;
  let wf, src, srcFrozen; // the source workflow and run
  const U = {}; // name -> user
  const T = {}; // name -> task id (version 1)
  const R = {}; // user name -> source user result

  before(async () => {
    smtp = await startSmtp();
    d = await startLcwd({ env: { LCW_SMTP_URL: smtp.url, LCW_SMTP_FROM: FROM } });
    reader = await d.token(ROLES.GR, 'reader');
    group = await createGroup(d);
    const mgr = await createUser(d, { displayName: 'Manager', mail: `${tag('mgr')}@contoso.example` });
    // ok1/ok2: everything works. noMail: the welcome email (stopping) fails.
    // noMgr: the reminder to the manager (continueOnError) fails. neither: both fail.
    const spec = { ok1: [true, true], ok2: [true, true], noMail: [false, true], noMgr: [true, false], neither: [false, false] };
    for (const [name, [mail, hasMgr]] of Object.entries(spec)) {
      U[name] = await createUser(d, { displayName: name, ...(mail ? { mail: `${tag(name)}@contoso.example` } : {}) });
      if (hasMgr) expectStatus(await d.api('PUT', `/v1.0/users/${U[name].id}/manager/$ref`, { body: { '@odata.id': `${d.url}/v1.0/users/${mgr.id}` } }), 204);
    }
    wf = await createWorkflow(d, joinerWorkflow({
      tasks: [
        task(TD.enableAccount, 'Enable'),
        task(TD.onboardingReminder, 'Remind manager', [], { continueOnError: true }),
        task(TD.welcomeEmail, 'Welcome', [{ name: 'to', value: 'User' }]),
        task(TD.addToGroups, 'Add to group', [{ name: 'groupID', value: group.id }]),
        task(TD.updateUserAttributes, 'Mark', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'Onboarded v1' }) }]),
      ],
    }));
    const full = await d.api('GET', `${WFS}/${wf.id}?$expand=tasks`);
    for (const t of full.json.tasks) T[t.displayName] = t.id;
    const { runId } = await activate(d, wf.id, Object.values(U).map((u) => u.id));
    await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId, { headers: ENUMS });
    assertCountersMatch(h);
    src = runId;
    srcFrozen = frozen(h);
    for (const name of Object.keys(U)) R[name] = userResultOf(h, U[name].id);
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
    if (smtp) await smtp.stop();
  });

  /** The source run is never edited by a reprocess. */
  async function assertSourceUnchanged() {
    assert.deepEqual(frozen(await runHistory(d, wf.id, src, { headers: ENUMS })), srcFrozen, 'the source run, its user or task results changed');
  }

  test('the source run: completed, completedWithErrors and failed users for known causes', async () => {
    const st = Object.fromEntries(Object.entries(R).map(([n, r]) => [n, r.processingStatus]));
    assert.deepEqual(st, { ok1: 'completed', ok2: 'completed', noMail: 'failed', noMgr: 'completedWithErrors', neither: 'failed' });
    const h = await runHistory(d, wf.id, src);
    assert.equal(h.run.processingStatus, 'completedWithErrors');
    const t = tasksOf(h, U.noMail.id);
    assert.deepEqual(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.processingStatus])),
      { Enable: 'completed', 'Remind manager': 'completed', Welcome: 'failed', 'Add to group': 'canceled', Mark: 'canceled' });
  });

  // What each combination must select (DESIGN 5): failedUsers = failed or
  // completedWithErrors; failedTasks = the failed tasks plus those a stopping
  // failure left unprocessed; allTasks = every enabled task.
  const ALL = ['Enable', 'Remind manager', 'Welcome', 'Add to group', 'Mark'];
  const FAILED_TASKS = {
    ok1: [], ok2: [], noMail: ['Welcome', 'Add to group', 'Mark'], noMgr: ['Remind manager'], neither: ['Remind manager', 'Welcome', 'Add to group', 'Mark'],
  };
  const FAILED_USERS = ['noMail', 'noMgr', 'neither'];
  function expected(names, taskScope) {
    const out = [];
    for (const n of names) {
      const ts = taskScope === 'allTasks' ? ALL : FAILED_TASKS[n];
      if (ts.length) out.push([U[n].id, ts.map((x) => T[x])]);
    }
    return sortPairs(out);
  }

  /**
   * Plan, activate, wait; the plan must equal `want` and the run must run
   * exactly the planned users and tasks. Returns the new run's history.
   */
  async function planThenRun(body, want, { sourceResults } = {}) {
    const p = await plan(d, wf.id, body);
    assert.deepEqual(sortPairs(planPairs(p)), want, `plan of ${JSON.stringify(body)}`);
    assert.equal(p.totalUsers, want.length, 'plan totalUsers');
    assert.equal(p.totalTasks, want.reduce((s, [, ts]) => s + ts.length, 0), 'plan totalTasks');
    if (sourceResults) {
      for (const e of p.value) assert.equal(e.sourceProcessingResultId, sourceResults.get(e.subject.id), `plan source result of ${e.subject.id}`);
    }
    const { runId } = await reprocess(d, wf.id, body);
    const run = await waitRunFinal(d, wf.id, runId);
    const h = await runHistory(d, wf.id, runId, { headers: ENUMS });
    assertCountersMatch(h);
    assert.equal(h.run.workflowExecutionType, 'activatedWithScope');
    assert.deepEqual(sortPairs(runPairs(h)), want, `what the run did for ${JSON.stringify(body)} (plan: ${JSON.stringify(planPairs(p))})`);
    assert.ok(['completed', 'completedWithErrors', 'failed'].includes(run.processingStatus));
    await assertSourceUnchanged();
    return h;
  }

  for (const us of ['allUsers', 'failedUsers']) {
    for (const ts of ['allTasks', 'failedTasks']) {
      test(`activateRunScope ${us} x ${ts}: plan == activation, activatedOnScope as submitted, lineage both ways`, async () => {
        const names = us === 'allUsers' ? Object.keys(U) : FAILED_USERS;
        const body = runScope(src, us, ts);
        const sourceResults = new Map(Object.values(R).map((r) => [r.subject.id, r.id]));
        const h = await planThenRun(body, expected(names, ts), { sourceResults });
        assert.deepEqual(h.run.activatedOnScope, body.scope, 'activatedOnScope is the scope as submitted');
        // Lineage: the source run and each selected source result list the new run.
        assert.ok((await runLineage(d, wf.id, src)).some((r) => r.id === h.run.id), 'the source run does not list the new run');
        for (const u of h.users) {
          const srcResult = sourceResults.get(u.subject.id);
          assert.ok((await resultLineage(d, wf.id, srcResult)).some((r) => r.id === h.run.id), `result ${srcResult} does not list the new run`);
          assert.ok((await runResultLineage(d, wf.id, src, srcResult)).some((r) => r.id === h.run.id), 'runs/{id}/userProcessingResults/{id}/reprocessedRuns');
        }
        // Results not selected are not linked.
        for (const [n, r] of Object.entries(R)) {
          if (!h.users.some((u) => u.subject.id === U[n].id)) {
            assert.ok(!(await resultLineage(d, wf.id, r.id)).some((x) => x.id === h.run.id), `unselected result of ${n} links the new run`);
          }
        }
        // A reprocessed run's own reprocessedRuns starts empty (spec 6).
        assert.deepEqual(await runLineage(d, wf.id, h.run.id), []);
      });
    }
  }

  for (const ts of ['allTasks', 'failedTasks']) {
    test(`activateProcessingResultScope x ${ts}: only the selected results, their tasks; linked from each result and its run`, async () => {
      const names = ['ok1', 'noMail', 'noMgr'];
      const body = resultsScope(names.map((n) => R[n].id), ts);
      const h = await planThenRun(body, expected(names, ts));
      assert.deepEqual(h.run.activatedOnScope, body.scope);
      for (const u of h.users) {
        const n = names.find((x) => U[x].id === u.subject.id);
        assert.ok((await resultLineage(d, wf.id, R[n].id)).some((r) => r.id === h.run.id), `result of ${n} does not list the new run`);
      }
      assert.ok((await runLineage(d, wf.id, src)).some((r) => r.id === h.run.id), 'the source run of the results does not list the new run');
    });
  }

  test('activateUserScope and the legacy {"subjects":[...]} body: an on-demand run of every enabled task, no lineage', async () => {
    for (const body of [userScope([U.ok1.id, U.neither.id]), legacySubjects([U.ok2.id, U.noMgr.id])]) {
      const ids = (body.scope ? body.scope.users : body.subjects).map((s) => s.id);
      const want = sortPairs(ids.map((id) => [id, ALL.map((x) => T[x])]));
      const before = (await runLineage(d, wf.id, src)).length;
      const h = await planThenRun(body, want);
      const scope = h.run.activatedOnScope;
      assert.equal(scope['@odata.type'], NS + 'activateUserScope', `activatedOnScope of ${JSON.stringify(body)}: ${JSON.stringify(scope)}`);
      assert.deepEqual(scope.users.map((u) => u.id), ids);
      assert.equal((await runLineage(d, wf.id, src)).length, before, 'a user-scope run was linked to an unrelated run');
    }
  });

  test('Prefer: return=representation -> 201 with the new run (Location names it); enum members masked without include-unknown-enum-members', async () => {
    const body = resultsScope([R.noMail.id], 'failedTasks');
    const res = await tryReprocess(d, wf.id, body, { headers: { Prefer: 'return=representation' } });
    expectStatus(res, 201);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const loc = res.headers.get('location');
    assert.ok(loc && loc.endsWith(`/workflows/${wf.id}/runs/${res.json.id}`), `Location ${loc} vs body id ${res.json.id}`);
    assert.match(res.json.id, GUID_RE);
    assert.ok(['queued', 'inProgress', 'completed', 'failed'].includes(res.json.processingStatus));
    assert.ok(isRfc3339(res.json.scheduledDateTime ?? res.json.lastUpdatedDateTime));
    // activatedWithScope is an evolvable enum member: without the Prefer it is masked.
    assert.equal(res.json.workflowExecutionType, 'unknownFutureValue');
    assert.deepEqual(res.json.activatedOnScope, body.scope);
    await waitRunFinal(d, wf.id, res.json.id);
    const withEnums = await tryReprocess(d, wf.id, body, { headers: { Prefer: 'return=representation, include-unknown-enum-members' } });
    expectStatus(withEnums, 201);
    assert.equal(withEnums.json.workflowExecutionType, 'activatedWithScope');
    await waitRunFinal(d, wf.id, withEnums.json.id);
  });

  test('audit: "Reprocess workflow run" / "Reprocess workflow users" name who, the scope, the source and the new run', async () => {
    const a = await reprocess(d, wf.id, runScope(src, 'failedUsers', 'failedTasks'));
    await waitRunFinal(d, wf.id, a.runId);
    const b = await reprocess(d, wf.id, resultsScope([R.neither.id], 'allTasks'));
    await waitRunFinal(d, wf.id, b.runId);
    const events = await auditEvents(d);
    for (const [runId, activity, source] of [[a.runId, 'Reprocess workflow run', src], [b.runId, 'Reprocess workflow users', null]]) {
      const mine = events.filter((e) => (e.targetResources || []).some((t) => t.id === runId));
      const ev = mine.find((e) => e.activityDisplayName === activity);
      assert.ok(ev, `no "${activity}" event naming run ${runId}; events for it: ${mine.map((e) => e.activityDisplayName)}`);
      assert.equal(ev.result, 'success');
      assert.ok(ev.targetResources.some((t) => t.id === wf.id), 'the event names the workflow');
      assert.ok(ev.initiatedBy?.user?.displayName, 'the event names who asked');
      const det = Object.fromEntries((ev.additionalDetails || []).map((x) => [x.key, x.value]));
      assert.ok(det.scope && JSON.parse(det.scope)['@odata.type'], `the event records the scope: ${JSON.stringify(ev.additionalDetails)}`);
      assert.equal(det.newRunId, runId);
      if (source) assert.equal(det.source, source, 'the event names the source run');
    }
  });

  test('audit: the reprocess run\'s own start and end events follow the reprocess event (DESIGN 6: "the start and end of every run")', async () => {
    const { runId } = await reprocess(d, wf.id, resultsScope([R.ok1.id], 'allTasks'));
    await waitRunFinal(d, wf.id, runId);
    const mine = (await auditEvents(d, runId)).reverse(); // oldest first
    const names = mine.map((e) => e.activityDisplayName);
    assert.equal(names[0], 'Reprocess workflow users', `events naming run ${runId}: ${JSON.stringify(names)}`);
    assert.ok(names.length >= 3, `no start and end events for run ${runId} after the reprocess event: ${JSON.stringify(names)}`);
  });

  test('a result (or user) named twice, or a user with several matching results, is processed at most once per run', async () => {
    const counts = (h) => {
      const m = new Map();
      for (const u of h.users) m.set(u.subject.id, (m.get(u.subject.id) || 0) + 1);
      return [...m].filter(([, n]) => n > 1);
    };
    // By now noMail and neither have failed results in several runs of wf: the query matches each of them more than once.
    const failedOfNeither = (await collectAll(d, `${WFS}/${wf.id}/userProcessingResults?$filter=${encodeURIComponent("processingStatus eq 'failed'")}`)).items
      .filter((u) => u.subject.id === U.neither.id);
    assert.ok(failedOfNeither.length >= 2, 'the scenario needs several failed results of one user');
    for (const body of [resultsScope([R.ok1.id, R.ok1.id]), userScope([U.ok2.id, U.ok2.id]), legacySubjects([U.ok2.id, U.ok2.id]),
      queryScope("processingStatus eq 'failed'", 'failedTasks')]) {
      const res = await tryReprocess(d, wf.id, body);
      if (res.status === 400) continue; // refusing duplicates is an acceptable answer
      expectStatus(res, 204, JSON.stringify(body));
      const runId = res.headers.get('location').split('/').pop();
      await waitRunFinal(d, wf.id, runId);
      const h = await runHistory(d, wf.id, runId);
      assert.deepEqual(counts(h), [], `users processed twice in run ${runId} for ${JSON.stringify(body)}`);
    }
  });

  test('an empty selection (failedUsers of a run without failures): the plan says 0 users, and an accepted activation does not leave a run behind that never ends', async () => {
    const ok = await activate(d, wf.id, [U.ok1.id]);
    await waitRunFinal(d, wf.id, ok.runId);
    const body = runScope(ok.runId, 'failedUsers', 'allTasks');
    const p = await plan(d, wf.id, body);
    assert.equal(p.totalUsers, 0);
    assert.equal(p.totalTasks, 0);
    const res = await tryReprocess(d, wf.id, body);
    if (res.status === 204) {
      const run = await waitRunFinal(d, wf.id, res.headers.get('location').split('/').pop());
      assert.equal(run.totalUsersCount, 0);
    } else {
      expectGraphError(res, 400);
    }
  });

  test('query scope (#lcw.activateQueryScope) over several runs: every matching result, one run, each source result and run linked', async () => {
    const w2 = await createWorkflow(d, joinerWorkflow({
      tasks: [task(TD.enableAccount, 'Enable'), task(TD.welcomeEmail, 'Welcome', [{ name: 'to', value: 'User' }]), task(TD.addToGroups, 'Add', [{ name: 'groupID', value: group.id }])],
    }));
    const a = await activate(d, w2.id, [U.ok1.id, U.noMail.id]);
    await waitRunFinal(d, w2.id, a.runId);
    const b = await activate(d, w2.id, [U.ok2.id, U.neither.id]);
    await waitRunFinal(d, w2.id, b.runId);
    const ha = await runHistory(d, w2.id, a.runId);
    const hb = await runHistory(d, w2.id, b.runId);
    const fa = userResultOf(ha, U.noMail.id);
    const fb = userResultOf(hb, U.neither.id);
    assert.equal(fa.processingStatus, 'failed');
    assert.equal(fb.processingStatus, 'failed');
    const before = { a: frozen(ha), b: frozen(hb) };

    // A filter naming the second run's time only: one result.
    const since = hb.run.startedDateTime;
    const narrow = queryScope(`processingStatus eq 'failed' and completedDateTime ge ${since}`, 'failedTasks');
    const pn = await plan(d, w2.id, narrow);
    assert.deepEqual(pn.value.map((e) => e.sourceProcessingResultId), [fb.id], `narrow filter plan: ${JSON.stringify(pn.value)}`);

    const body = queryScope("processingStatus eq 'failed'", 'failedTasks');
    const p = await plan(d, w2.id, body);
    assert.deepEqual(p.value.map((e) => e.sourceProcessingResultId).sort(), [fa.id, fb.id].sort());
    const { runId } = await reprocess(d, w2.id, body);
    await waitRunFinal(d, w2.id, runId);
    const h = await runHistory(d, w2.id, runId, { headers: ENUMS });
    assertCountersMatch(h);
    assert.deepEqual(sortPairs(runPairs(h)), sortPairs(planPairs(p)), 'the query-scope run did what its plan said');
    assert.deepEqual(h.run.activatedOnScope, body.scope);
    for (const [r, run] of [[fa, a.runId], [fb, b.runId]]) {
      assert.deepEqual((await resultLineage(d, w2.id, r.id)).map((x) => x.id), [runId], `lineage of result ${r.id}`);
      assert.deepEqual((await runLineage(d, w2.id, run)).map((x) => x.id), [runId], `lineage of run ${run}`);
    }
    assert.deepEqual(frozen(await runHistory(d, w2.id, a.runId)), before.a);
    assert.deepEqual(frozen(await runHistory(d, w2.id, b.runId)), before.b);
    // A bad filter is a 400 naming the filter, and changes nothing.
    const s0 = await snapshot(d, w2.id);
    expectGraphError(await tryReprocess(d, w2.id, queryScope('processingStatus eq', 'failedTasks')), 400, { mentions: ['filter'] });
    expectGraphError(await tryReprocess(d, w2.id, queryScope('', 'failedTasks')), 400, { mentions: ['filter'] });
    assert.deepEqual(await snapshot(d, w2.id), s0);
  });

  test('version choice after createNewVersion: the current version by default, "workflowVersion":"source" runs the source\'s; mixed versions with "source" -> 400', async () => {
    const u = await createUser(d, { displayName: 'versioned', mail: `${tag('v')}@contoso.example` });
    const v1Tasks = [
      task(TD.enableAccount, 'Enable'),
      task(TD.updateUserAttributes, 'Mark', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'v1' }) }]),
    ];
    const w = await createWorkflow(d, joinerWorkflow({ tasks: v1Tasks }));
    const r1 = await activate(d, w.id, [u.id]);
    await waitRunFinal(d, w.id, r1.runId);
    const ur1 = (await runHistory(d, w.id, r1.runId)).users[0];
    assert.equal(ur1.workflowVersion, 1);
    const def = (await d.api('GET', `${WFS}/${w.id}?$expand=tasks`)).json;
    const nv = await d.api('POST', `${WFS}/${w.id}/createNewVersion`, {
      body: {
        workflow: {
          category: def.category, displayName: def.displayName, description: 'version 2', isEnabled: true, isSchedulingEnabled: false,
          executionConditions: def.executionConditions,
          tasks: [
            task(TD.enableAccount, 'Enable'),
            task(TD.updateUserAttributes, 'Mark', [{ name: 'attributes', value: JSON.stringify({ jobTitle: 'v2' }) }]),
            task(TD.addToGroups, 'Add', [{ name: 'groupID', value: group.id }]),
          ],
        },
      },
    });
    expectStatus(nv, 200, 'createNewVersion');
    assert.equal(nv.json.version, 2);

    // Default: the current version (2) runs: three tasks, jobTitle v2.
    const pd = await plan(d, w.id, runScope(r1.runId));
    assert.equal(pd.workflowVersion, 2);
    assert.equal(pd.value[0].tasks.length, 3);
    const cur = await reprocess(d, w.id, runScope(r1.runId));
    await waitRunFinal(d, w.id, cur.runId);
    const hc = await runHistory(d, w.id, cur.runId);
    assert.equal(hc.users[0].workflowVersion, 2, 'default reprocess did not run the current version');
    assert.equal(hc.tasks.length, 3);
    assert.equal((await getUser(d, u.id)).jobTitle, 'v2');

    // "source": version 1 runs, for run and result scopes.
    for (const body of [runScope(r1.runId, 'allUsers', 'allTasks', { workflowVersion: 'source' }), resultsScope([ur1.id], 'allTasks', { workflowVersion: 'source' })]) {
      const ps = await plan(d, w.id, body);
      assert.equal(ps.workflowVersion, 1, `plan version of ${JSON.stringify(body)}`);
      const s = await reprocess(d, w.id, body);
      await waitRunFinal(d, w.id, s.runId);
      const hs = await runHistory(d, w.id, s.runId);
      assert.equal(hs.users[0].workflowVersion, 1, `"workflowVersion":"source" did not run version 1 (${JSON.stringify(body)})`);
      assert.deepEqual(hs.tasks.map((t) => t.task.displayName).sort(), ['Enable', 'Mark']);
      assert.equal((await getUser(d, u.id)).jobTitle, 'v1');
      assert.deepEqual(hs.run.activatedOnScope, body.scope);
    }
    // Results that ran versions 1 and 2 together with "source" -> 400; without it they run version 2.
    const ur2 = hc.users[0];
    const s0 = await snapshot(d, w.id);
    const mixed = resultsScope([ur1.id, ur2.id], 'allTasks', { workflowVersion: 'source' });
    expectGraphError(await tryReprocess(d, w.id, mixed), 400, { mentions: ['version'] });
    expectGraphError(await d.api('POST', `${WFS}/${w.id}/planActivation`, { body: mixed }), 400, { mentions: ['version'] });
    expectGraphError(await tryReprocess(d, w.id, resultsScope([ur1.id], 'allTasks', { workflowVersion: 'v1' })), 400, { mentions: ['workflowVersion'] });
    assert.deepEqual(await snapshot(d, w.id), s0, 'a refused version choice changed something');
    const explicit = await plan(d, w.id, resultsScope([ur1.id], 'allTasks', { workflowVersion: 'current' }));
    assert.equal(explicit.workflowVersion, 2);
  });

  test('lineage: DELETE .../reprocessedRuns/{id}/$ref unlinks (admin), Global Reader reads but cannot unlink; unknown source -> 404', async () => {
    const { runId } = await reprocess(d, wf.id, resultsScope([R.noMgr.id], 'failedTasks'));
    await waitRunFinal(d, wf.id, runId);
    assert.ok((await resultLineage(d, wf.id, R.noMgr.id, { token: reader })).some((r) => r.id === runId), 'Global Reader reads lineage');
    const refPath = `${WFS}/${wf.id}/userProcessingResults/${R.noMgr.id}/reprocessedRuns/${runId}/$ref`;
    expectGraphError(await d.api('DELETE', refPath, { token: reader }), 403);
    expectStatus(await d.api('DELETE', refPath), 204);
    assert.ok(!(await resultLineage(d, wf.id, R.noMgr.id)).some((r) => r.id === runId), 'the link is still listed');
    expectGraphError(await d.api('DELETE', refPath), 404);
    // The run itself stays (history is never edited).
    expectStatus(await d.api('GET', `${WFS}/${wf.id}/runs/${runId}`), 200);
    const runRef = `${WFS}/${wf.id}/runs/${src}/reprocessedRuns/${runId}/$ref`;
    expectStatus(await d.api('DELETE', runRef), 204);
    assert.ok(!(await runLineage(d, wf.id, src)).some((r) => r.id === runId));
    expectGraphError(await d.api('GET', `${WFS}/${wf.id}/runs/0badc0de-0000-4000-8000-00000000aaaa/reprocessedRuns`), 404);
    expectGraphError(await d.api('GET', `${WFS}/${wf.id}/userProcessingResults/0badc0de-0000-4000-8000-00000000aaaa/reprocessedRuns`), 404);
  });

  test('the reprocess actually did the work: group membership and attributes of the failed users after a fix + failedTasks', async () => {
    // Fix the causes (give noMail and neither an address), reprocess the failed users' failed tasks.
    const fixed = `${tag('fixed')}@contoso.example`;
    await patchUser(d, U.noMail.id, { mail: fixed });
    const { runId } = await reprocess(d, wf.id, resultsScope([R.noMail.id], 'failedTasks'));
    const run = await waitRunFinal(d, wf.id, runId);
    assert.equal(run.processingStatus, 'completed');
    assert.deepEqual(await memberOf(d, U.noMail.id), [group.id]);
    assert.equal((await getUser(d, U.noMail.id)).jobTitle, 'Onboarded v1');
    const h = await runHistory(d, wf.id, runId);
    const welcome = tasksOf(h, U.noMail.id).Welcome;
    const mail = await smtp.waitForMessages((m) => m.headers['x-lcw-task-processing-result-id'] === welcome.id, 1);
    assert.ok(mail[0].headers.to.includes(fixed), `To: ${mail[0].headers.to}`);
    await assertSourceUnchanged();
  });
});
