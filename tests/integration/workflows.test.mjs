// SPDX-License-Identifier: MIT
// Workflow definition API (spec 5.1-5.3): create, list, get, update,
// createNewVersion, tasks, versions, delete/restore/purge, routing rules and
// every validation error path, with "a rejected request changes nothing".

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startLcwd, removeDir, LW, expectStatus, expectGraphError, isRfc3339, GUID_RE, collectAll, show,
} from './lib/lcwd.mjs';
import {
  TD, joinerWorkflow, leaverWorkflow, moverWorkflow, task, conditions, uniqueName,
} from './lib/fixtures.mjs';

const WFS = `${LW}/workflows`;
const NS = '#microsoft.graph.identityGovernance.';

function expectJsonContentType(res) {
  const ct = res.headers.get('content-type');
  assert.ok(ct, 'no Content-Type on a JSON response');
  assert.equal(ct.split(';')[0], 'application/json', `Content-Type must be lower-case application/json, got '${ct}'`);
}

function expectNoContent(res, what) {
  expectStatus(res, 204, what);
  assert.equal(res.text, '', `${what}: 204 must have an empty body`);
}

describe('workflows', () => {
  let d;
  before(async () => { d = await startLcwd(); });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  async function create(body = joinerWorkflow()) {
    const r = await d.api('POST', WFS, { body });
    expectStatus(r, 201, 'create workflow');
    return r;
  }
  async function count() {
    const { items } = await collectAll(d, WFS);
    return items.length;
  }
  async function auditCount() {
    const { items } = await collectAll(d, '/v1.0/auditLogs/directoryAudits');
    return items.length;
  }

  test('create returns 201 with the Graph workflow shape, defaults and a Location', async () => {
    const body = joinerWorkflow();
    delete body.isEnabled;
    delete body.isSchedulingEnabled;
    const before = Date.now();
    const r = await create(body);
    expectJsonContentType(r);
    const w = r.json;
    assert.match(w.id, GUID_RE);
    assert.equal(w.version, 1);
    assert.equal(w.isEnabled, true, 'isEnabled defaults to true');
    assert.equal(w.isSchedulingEnabled, false, 'isSchedulingEnabled defaults to false');
    assert.equal(w.displayName, body.displayName);
    assert.equal(w.description, body.description);
    assert.equal(w.category, 'joiner');
    assert.ok(isRfc3339(w.createdDateTime), `createdDateTime: ${w.createdDateTime}`);
    assert.ok(isRfc3339(w.lastModifiedDateTime), `lastModifiedDateTime: ${w.lastModifiedDateTime}`);
    assert.ok(Date.parse(w.createdDateTime) >= before - 2000 && Date.parse(w.createdDateTime) <= Date.now() + 2000,
      `createdDateTime ${w.createdDateTime} is not now`);
    assert.equal(w.deletedDateTime ?? null, null);
    assert.equal(typeof w['@odata.context'], 'string');
    assert.match(w['@odata.context'], /\$metadata#/);
    const ec = w.executionConditions;
    assert.equal(ec['@odata.type'], NS + 'triggerAndScopeBasedConditions');
    assert.equal(ec.scope['@odata.type'], NS + 'ruleBasedSubjectSet');
    assert.equal(ec.scope.rule, "(department eq 'Marketing')");
    assert.equal(ec.trigger['@odata.type'], NS + 'timeBasedAttributeTrigger');
    assert.equal(ec.trigger.timeBasedAttribute, 'employeeHireDate');
    assert.equal(ec.trigger.offsetInDays, 1);
    const loc = r.headers.get('location');
    assert.ok(loc, 'Location header missing');
    assert.ok(loc.toLowerCase().endsWith(`/workflows/${w.id}`.toLowerCase()), `Location: ${loc}`);
    const g = await d.api('GET', loc);
    expectStatus(g, 200, `GET Location ${loc}`);
    assert.equal(g.json.id, w.id);
  });

  test('list, get, $expand=tasks and $select', async () => {
    const w = (await create()).json;
    const l = await d.api('GET', WFS);
    expectStatus(l, 200);
    expectJsonContentType(l);
    assert.match(l.json['@odata.context'], /\$metadata#/);
    assert.ok(Array.isArray(l.json.value));
    assert.ok(l.json.value.some((x) => x.id === w.id), 'created workflow not listed');

    const g = await d.api('GET', `${WFS}/${w.id}`);
    expectStatus(g, 200);
    expectJsonContentType(g);
    assert.equal(g.json.id, w.id);
    assert.equal(g.json.displayName, w.displayName);
    assert.equal(g.json.version, 1);

    const e = await d.api('GET', `${WFS}/${w.id}?$expand=tasks`);
    expectStatus(e, 200);
    const tasks = e.json.tasks;
    assert.ok(Array.isArray(tasks), `$expand=tasks gave no tasks array: ${e.text.slice(0, 300)}`);
    assert.equal(tasks.length, 2);
    assert.deepEqual(tasks.map((t) => t.executionSequence), [1, 2]);
    assert.equal(tasks[0].taskDefinitionId.toLowerCase(), TD.enableAccount);
    assert.equal(tasks[0].category, 'joiner,leaver');
    assert.equal(tasks[1].taskDefinitionId.toLowerCase(), TD.welcomeEmail);
    assert.equal(tasks[1].category, 'joiner');
    for (const t of tasks) {
      assert.match(t.id, GUID_RE);
      assert.ok(Array.isArray(t.arguments));
      assert.equal(typeof t.isEnabled, 'boolean');
      assert.equal(typeof t.continueOnError, 'boolean');
    }
    assert.deepEqual(tasks[1].arguments, [{ name: 'to', value: 'Manager' }]);

    const s = await d.api('GET', `${WFS}/${w.id}?$select=displayName,category`);
    expectStatus(s, 200);
    assert.equal(s.json.displayName, w.displayName);
    assert.equal(s.json.category, 'joiner');
    assert.ok(!('description' in s.json), `$select returned unselected description: ${s.text}`);
    assert.ok(!('executionConditions' in s.json), '$select returned executionConditions');

    const ls = await d.api('GET', `${WFS}?$select=id,displayName`);
    expectStatus(ls, 200);
    for (const x of ls.json.value) {
      assert.ok(!('category' in x), `list $select returned category: ${JSON.stringify(x)}`);
      assert.ok('displayName' in x);
    }
  });

  test('PATCH updates only displayName, description, isEnabled, isSchedulingEnabled (204)', async () => {
    const w = (await create()).json;
    const newName = uniqueName('Renamed');
    const p = await d.api('PATCH', `${WFS}/${w.id}`, {
      body: { displayName: newName, description: 'new description', isEnabled: true, isSchedulingEnabled: true },
    });
    expectNoContent(p, 'PATCH workflow');
    const g = (await d.api('GET', `${WFS}/${w.id}`)).json;
    assert.equal(g.displayName, newName);
    assert.equal(g.description, 'new description');
    assert.equal(g.isSchedulingEnabled, true);
    assert.equal(g.version, 1, 'PATCH must not create a version');
    assert.ok(Date.parse(g.lastModifiedDateTime) >= Date.parse(w.lastModifiedDateTime));

    // Scheduling needs isEnabled; switch both off in one request.
    const p2 = await d.api('PATCH', `${WFS}/${w.id}`, { body: { isEnabled: false, isSchedulingEnabled: false } });
    expectNoContent(p2, 'PATCH disable');
    assert.equal((await d.api('GET', `${WFS}/${w.id}`)).json.isEnabled, false);
  });

  test('PATCH of tasks, executionConditions, category is refused and changes nothing', async () => {
    const w = (await create()).json;
    const before = (await d.api('GET', `${WFS}/${w.id}?$expand=tasks`)).json;
    const cases = [
      [{ tasks: [task(TD.enableAccount, 'x')] }, 'tasks'],
      [{ executionConditions: conditions({ offset: 5 }) }, 'executionConditions'],
      [{ category: 'leaver' }, 'category'],
      [{ displayName: 'changed while refused', category: 'leaver' }, 'category'],
      [{ version: 7 }, 'version'],
      [{ id: '00000000-0000-0000-0000-000000000001' }, 'id'],
      [{ isSchedulingEnabled: true, isEnabled: false }, 'isSchedulingEnabled'],
      [{ displayName: '' }, 'displayName'],
      [{ displayName: 5 }, 'displayName'],
    ];
    for (const [body, prop] of cases) {
      const r = await d.api('PATCH', `${WFS}/${w.id}`, { body });
      expectGraphError(r, 400, { mentions: [prop] });
    }
    const after = (await d.api('GET', `${WFS}/${w.id}?$expand=tasks`)).json;
    assert.deepEqual(after, before, 'a refused PATCH changed the workflow');
  });

  test('createNewVersion (short and qualified) bumps the version and keeps the old one', async () => {
    const w = (await create()).json;
    const v1Tasks = (await d.api('GET', `${WFS}/${w.id}/tasks`)).json.value;
    const newDef = {
      category: 'joiner',
      displayName: w.displayName,
      description: 'version 2',
      isEnabled: true,
      isSchedulingEnabled: false,
      executionConditions: conditions({ offset: 3, rule: "(department eq 'Sales')" }),
      tasks: [task(TD.addToGroups, 'Add to groups', [{ name: 'groupID', value: '6ea57a87-ba4b-42d3-8b0c-c9a3e2ca2a5b' }])],
    };
    const r2 = await d.api('POST', `${WFS}/${w.id}/createNewVersion`, { body: { workflow: newDef } });
    expectStatus(r2, 200, 'createNewVersion');
    expectJsonContentType(r2);
    assert.equal(r2.json.version, 2, `createNewVersion response: ${r2.text.slice(0, 400)}`);
    assert.equal(r2.json.id, w.id);

    const g = await d.api('GET', `${WFS}/${w.id}?$expand=tasks`);
    assert.equal(g.json.version, 2);
    assert.equal(g.json.description, 'version 2');
    assert.equal(g.json.executionConditions.trigger.offsetInDays, 3);
    assert.equal(g.json.tasks.length, 1);
    assert.equal(g.json.tasks[0].taskDefinitionId.toLowerCase(), TD.addToGroups);

    const r3 = await d.api('POST', `${WFS}/${w.id}/microsoft.graph.identityGovernance.createNewVersion`, {
      body: { workflow: { ...newDef, description: 'version 3' } },
    });
    expectStatus(r3, 200, 'qualified createNewVersion');
    assert.equal(r3.json.version, 3);

    const vs = await d.api('GET', `${WFS}/${w.id}/versions`);
    expectStatus(vs, 200);
    const nums = vs.json.value.map((v) => v.versionNumber).sort((a, b) => a - b);
    assert.deepEqual(nums, [1, 2, 3]);

    const v1 = await d.api('GET', `${WFS}/${w.id}/versions/1`);
    expectStatus(v1, 200);
    assert.equal(v1.json.versionNumber, 1);
    assert.equal(v1.json.description, w.description);
    assert.equal(v1.json.executionConditions.trigger.offsetInDays, 1);

    const v1t = await d.api('GET', `${WFS}/${w.id}/versions/1/tasks`);
    expectStatus(v1t, 200);
    assert.deepEqual(v1t.json.value.map((t) => [t.id, t.displayName, t.taskDefinitionId.toLowerCase()]),
      v1Tasks.map((t) => [t.id, t.displayName, t.taskDefinitionId.toLowerCase()]),
      'version 1 tasks changed');
    const one = await d.api('GET', `${WFS}/${w.id}/versions/1/tasks/${v1Tasks[0].id}`);
    expectStatus(one, 200);
    assert.equal(one.json.id, v1Tasks[0].id);

    expectGraphError(await d.api('GET', `${WFS}/${w.id}/versions/9`), 404);
    // createNewVersion takes only {"workflow": ...}; a bad body changes nothing.
    expectGraphError(await d.api('POST', `${WFS}/${w.id}/createNewVersion`, { body: newDef }), 400, { mentions: ['category'] });
    expectGraphError(await d.api('POST', `${WFS}/${w.id}/createNewVersion`, {
      body: { workflow: { ...newDef, tasks: [task('00000000-1111-2222-3333-444444444444', 'nope')] } },
    }), 400, { mentions: ['taskDefinitionId'] });
    assert.equal((await d.api('GET', `${WFS}/${w.id}`)).json.version, 3);
    expectGraphError(await d.api('POST', `${WFS}/${crypto.randomUUID()}/createNewVersion`, { body: { workflow: newDef } }), 404);
  });

  test('tasks: list, get, PATCH displayName/description only', async () => {
    const w = (await create()).json;
    const l = await d.api('GET', `${WFS}/${w.id}/tasks`);
    expectStatus(l, 200);
    assert.equal(l.json.value.length, 2);
    const t = l.json.value[0];
    const g = await d.api('GET', `${WFS}/${w.id}/tasks/${t.id}`);
    expectStatus(g, 200);
    assert.equal(g.json.id, t.id);
    assert.equal(g.json.displayName, 'Enable User Account');

    const p = await d.api('PATCH', `${WFS}/${w.id}/tasks/${t.id}`, { body: { displayName: 'Enable account now', description: 'd2' } });
    expectNoContent(p, 'PATCH task');
    const g2 = (await d.api('GET', `${WFS}/${w.id}/tasks/${t.id}`)).json;
    assert.equal(g2.displayName, 'Enable account now');
    assert.equal(g2.description, 'd2');
    assert.equal((await d.api('GET', `${WFS}/${w.id}`)).json.version, 1, 'task PATCH must not version');

    for (const [body, prop] of [
      [{ continueOnError: true }, 'continueOnError'],
      [{ arguments: [] }, 'arguments'],
      [{ taskDefinitionId: TD.disableAccount }, 'taskDefinitionId'],
      [{ isEnabled: false }, 'isEnabled'],
    ]) {
      expectGraphError(await d.api('PATCH', `${WFS}/${w.id}/tasks/${t.id}`, { body }), 400, { mentions: [prop] });
    }
    assert.deepEqual((await d.api('GET', `${WFS}/${w.id}/tasks/${t.id}`)).json, g2, 'refused task PATCH changed the task');
    expectGraphError(await d.api('GET', `${WFS}/${w.id}/tasks/${crypto.randomUUID()}`), 404);
  });

  test('delete → deletedItems → restore → delete → permanent delete', async () => {
    const w = (await create()).json;
    expectNoContent(await d.api('DELETE', `${WFS}/${w.id}`), 'DELETE workflow');
    expectGraphError(await d.api('GET', `${WFS}/${w.id}`), 404);
    const list = (await collectAll(d, WFS)).items;
    assert.ok(!list.some((x) => x.id === w.id), 'deleted workflow still listed');

    const del = await d.api('GET', `${LW}/deletedItems/workflows`);
    expectStatus(del, 200);
    const item = del.json.value.find((x) => x.id === w.id);
    assert.ok(item, 'deleted workflow not in deletedItems/workflows');
    assert.ok(isRfc3339(item.deletedDateTime), `deletedDateTime: ${item.deletedDateTime}`);
    const dg = await d.api('GET', `${LW}/deletedItems/workflows/${w.id}`);
    expectStatus(dg, 200);
    assert.ok(isRfc3339(dg.json.deletedDateTime));

    const rs = await d.api('POST', `${LW}/deletedItems/workflows/${w.id}/restore`);
    expectStatus(rs, 200, 'restore');
    expectJsonContentType(rs);
    assert.equal(rs.json.id, w.id);
    assert.equal(rs.json.deletedDateTime ?? null, null);
    const back = await d.api('GET', `${WFS}/${w.id}`);
    expectStatus(back, 200);
    assert.equal(back.json.displayName, w.displayName);
    expectGraphError(await d.api('GET', `${LW}/deletedItems/workflows/${w.id}`), 404);

    // Qualified restore works too.
    expectNoContent(await d.api('DELETE', `${WFS}/${w.id}`), 'DELETE again');
    expectStatus(await d.api('POST', `${LW}/deletedItems/workflows/${w.id}/microsoft.graph.identityGovernance.restore`), 200);

    expectNoContent(await d.api('DELETE', `${WFS}/${w.id}`), 'DELETE third time');
    expectNoContent(await d.api('DELETE', `${LW}/deletedItems/workflows/${w.id}`), 'permanent delete');
    expectGraphError(await d.api('GET', `${LW}/deletedItems/workflows/${w.id}`), 404);
    expectGraphError(await d.api('GET', `${WFS}/${w.id}`), 404);
    expectGraphError(await d.api('POST', `${LW}/deletedItems/workflows/${w.id}/restore`), 404);
    expectGraphError(await d.api('DELETE', `${WFS}/${w.id}`), 404);
  });

  test('restore refuses when an active workflow took the displayName', async () => {
    const w = (await create()).json;
    expectNoContent(await d.api('DELETE', `${WFS}/${w.id}`), 'DELETE');
    const other = await d.api('POST', WFS, { body: joinerWorkflow({ displayName: w.displayName }) });
    if (other.status !== 201) return; // names of deleted workflows stay reserved: nothing to check
    const rs = await d.api('POST', `${LW}/deletedItems/workflows/${w.id}/restore`);
    expectGraphError(rs, 409, { mentions: ['displayName'] });
    expectStatus(await d.api('GET', `${LW}/deletedItems/workflows/${w.id}`), 200);
  });

  test('path segments are case-insensitive; /beta serves the same API', async () => {
    const w = (await create()).json;
    const r = await d.api('GET', '/v1.0/IdentityGovernance/LifecycleWorkflows/Workflows');
    expectStatus(r, 200, 'mixed-case path');
    assert.ok(r.json.value.some((x) => x.id === w.id));
    const r2 = await d.api('GET', `/v1.0/identitygovernance/lifecycleworkflows/WORKFLOWS/${w.id}/TASKS`);
    expectStatus(r2, 200, 'mixed-case nested path');
    const b = await d.api('GET', `/beta/identityGovernance/lifecycleWorkflows/workflows/${w.id}`);
    expectStatus(b, 200, '/beta');
    assert.equal(b.json.id, w.id);
    const bc = await d.api('POST', '/beta/identityGovernance/lifecycleWorkflows/workflows', { body: joinerWorkflow() });
    expectStatus(bc, 201, 'create on /beta');
  });

  test('duplicate displayName → 409', async () => {
    const w = (await create()).json;
    const n = await count();
    const r = await d.api('POST', WFS, { body: joinerWorkflow({ displayName: w.displayName }) });
    expectGraphError(r, 409, { mentions: ['displayName'] });
    assert.equal(await count(), n);
    // Renaming another workflow onto the name is a conflict too.
    const w2 = (await create()).json;
    expectGraphError(await d.api('PATCH', `${WFS}/${w2.id}`, { body: { displayName: w.displayName } }), 409, { mentions: ['displayName'] });
    assert.notEqual((await d.api('GET', `${WFS}/${w2.id}`)).json.displayName, w.displayName);
  });

  test('validation errors → 400 naming the property; nothing changes', async () => {
    const n0 = await count();
    const a0 = await auditCount();
    const t26 = Array.from({ length: 26 }, (_, i) => task(TD.enableAccount, `Enable ${i}`));
    const cases = [
      ['missing displayName', (() => { const b = joinerWorkflow(); delete b.displayName; return b; })(), ['displayName']],
      ['missing executionConditions', (() => { const b = joinerWorkflow(); delete b.executionConditions; return b; })(), ['executionConditions']],
      ['missing tasks', (() => { const b = joinerWorkflow(); delete b.tasks; return b; })(), ['tasks']],
      ['bad category', joinerWorkflow({ category: 'sideways' }), ['category']],
      ['unknown property', joinerWorkflow({ colour: 'blue' }), ['colour']],
      ['read-only version', joinerWorkflow({ version: 4 }), ['version']],
      ['read-only createdDateTime', joinerWorkflow({ createdDateTime: '2020-01-01T00:00:00Z' }), ['createdDateTime']],
      ['wrong type displayName', joinerWorkflow({ displayName: 42 }), ['displayName']],
      ['wrong type isEnabled', joinerWorkflow({ isEnabled: 'yes' }), ['isEnabled']],
      ['wrong type tasks', joinerWorkflow({ tasks: {} }), ['tasks']],
      ['unknown taskDefinitionId', joinerWorkflow({ tasks: [task('0a1b2c3d-0000-4000-8000-000000000000', 'Ghost')] }), ['taskDefinitionId']],
      ['leaver task in joiner workflow', joinerWorkflow({ tasks: [task(TD.removeFromAllGroups, 'Remove all groups')] }), ['tasks[0]']],
      ['joiner task in leaver workflow', leaverWorkflow({ tasks: [task(TD.welcomeEmail, 'Welcome')] }), ['tasks[0]']],
      ['unknown argument', joinerWorkflow({ tasks: [task(TD.enableAccount, 'Enable', [{ name: 'bogusArg', value: 'x' }])] }), ['bogusArg']],
      ['bad enum argument', joinerWorkflow({ tasks: [task(TD.enableAccount, 'Enable', [{ name: 'enableOnPremisesAccount', value: 'maybe' }])] }), ['enableOnPremisesAccount']],
      ['missing required argument', joinerWorkflow({ tasks: [task(TD.addToGroups, 'Groups')] }), ['groupID']],
      ['offsetInDays 181', joinerWorkflow({ executionConditions: conditions({ offset: 181 }) }), ['offsetInDays']],
      ['offsetInDays -181', joinerWorkflow({ executionConditions: conditions({ offset: -181 }) }), ['offsetInDays']],
      ['bad timeBasedAttribute', joinerWorkflow({ executionConditions: conditions({ attr: 'birthday' }) }), ['timeBasedAttribute']],
      ['scheduling without enabled', joinerWorkflow({ isEnabled: false, isSchedulingEnabled: true }), ['isSchedulingEnabled']],
      ['26 tasks', joinerWorkflow({ tasks: t26 }), ['tasks']],
      ['invalid scope rule', joinerWorkflow({ executionConditions: conditions({ rule: 'department eq' }) }), ['rule']],
      ['bad executionConditions type', joinerWorkflow({ executionConditions: { '@odata.type': NS + 'nonsense' } }), ['@odata.type']],
    ];
    for (const [what, body, mentions] of cases) {
      const r = await d.api('POST', WFS, { body });
      try {
        expectGraphError(r, 400, { mentions });
      } catch (e) {
        e.message = `${what}: ${e.message}`;
        throw e;
      }
    }

    const bad = await d.api('POST', WFS, { body: '{\n  "displayName": "x",\n  "category": joiner\n}' });
    const e = expectGraphError(bad, 400);
    assert.match(e.message, /line\s*\d+/i, `malformed JSON message lacks the line: ${e.message}`);
    assert.match(e.message, /col(umn)?\s*\d+/i, `malformed JSON message lacks the column: ${e.message}`);
    expectGraphError(await d.api('POST', WFS, { body: '' }), 400);
    expectGraphError(await d.api('POST', WFS, { body: '[]' }), 400);
    expectGraphError(await d.api('POST', WFS, { body: 'null' }), 400);

    assert.equal(await count(), n0, 'a rejected create changed the workflow count');
    assert.equal(await auditCount(), a0, 'a rejected request wrote an audit event');
  });

  test('a body over the 1 MiB default limit → 413', async () => {
    const n0 = await count();
    const big = JSON.stringify(joinerWorkflow({ description: 'x'.repeat(1024 * 1024 + 10) }));
    let r;
    try {
      r = await d.api('POST', WFS, { body: big });
    } catch (err) {
      assert.fail(`oversize request failed at transport level instead of 413: ${err.cause?.code || err.message}`);
    }
    expectGraphError(r, 413);
    assert.equal(await count(), n0);
    // The daemon still serves after refusing the body.
    expectStatus(await d.api('GET', '/healthz', { token: null }), 200);
  });

  test('wrong method → 405 envelope; unknown route → 404 envelope', async () => {
    expectGraphError(await d.api('PUT', WFS, { body: joinerWorkflow() }), 405);
    expectGraphError(await d.api('DELETE', WFS), 405);
    expectGraphError(await d.api('PATCH', `${LW}/taskDefinitions`, { body: {} }), 405);
    expectGraphError(await d.api('GET', `${LW}/noSuchThing`), 404);
    expectGraphError(await d.api('GET', '/v1.0/nothingHere'), 404);
    expectGraphError(await d.api('GET', '/v2.0/identityGovernance/lifecycleWorkflows/workflows'), 404);
    expectGraphError(await d.api('GET', `${WFS}/${crypto.randomUUID()}`), 404);
    expectGraphError(await d.api('GET', `${WFS}/not-a-guid`), 404);
    expectGraphError(await d.api('PATCH', `${WFS}/${crypto.randomUUID()}`, { body: { description: 'x' } }), 404);
  });

  test('evolvable enum members need Prefer: include-unknown-enum-members (spec 2)', async () => {
    const PREFER = { Prefer: 'include-unknown-enum-members' };
    const c = await d.api('POST', WFS, { body: moverWorkflow(), headers: PREFER });
    expectStatus(c, 201, 'create a mover workflow');
    assert.equal(c.json.category, 'mover', 'with the Prefer header the category is mover');
    const id = c.json.id;
    const plain = await d.api('GET', `${WFS}/${id}`);
    expectStatus(plain, 200);
    assert.equal(plain.json.category, 'unknownFutureValue',
      'without Prefer: include-unknown-enum-members Graph substitutes unknownFutureValue for mover');
    assert.equal((await d.api('GET', `${WFS}/${id}`, { headers: PREFER })).json.category, 'mover');
    // Filtering by the evolvable member works either way.
    const f = await collectAll(d, `${WFS}?$filter=${encodeURIComponent("category eq 'mover'")}`);
    assert.ok(f.items.some((x) => x.id === id));
    // Flagged enums keep their stable members.
    const td = await d.api('GET', `${LW}/taskDefinitions/${TD.addToGroups}`);
    assert.equal(td.json.category, 'joiner,leaver,unknownFutureValue');
    const tdp = await d.api('GET', `${LW}/taskDefinitions/${TD.addToGroups}`, { headers: PREFER });
    assert.equal(tdp.json.category, 'joiner,leaver,mover');
    expectStatus(await d.api('DELETE', `${WFS}/${id}`), 204);
  });

  test('unicode names round-trip and filter', async () => {
    const name = `Über Onboarding – 日本 ${crypto.randomUUID().slice(0, 8)} "quoted" \\ back`;
    const c = await d.api('POST', WFS, { body: joinerWorkflow({ displayName: name, description: 'émoji 🎉' }) });
    expectStatus(c, 201);
    assert.equal(c.json.displayName, name);
    assert.equal(c.json.description, 'émoji 🎉');
    const g = await d.api('GET', `${WFS}/${c.json.id}`);
    assert.equal(g.json.displayName, name);
    const f = await collectAll(d, `${WFS}?$filter=${encodeURIComponent(`displayName eq '${name}'`)}`);
    assert.deepEqual(f.items.map((x) => x.id), [c.json.id]);
    const esc = await collectAll(d, `${WFS}?$filter=${encodeURIComponent("displayName eq 'it''s'")}`);
    assert.equal(esc.items.length, 0, "a doubled quote in a $filter literal");
  });

  test('concurrent requests: unique names hold, parallel creates all land', async () => {
    const name = uniqueName('Race');
    const same = await Promise.all(Array.from({ length: 6 }, () => d.api('POST', WFS, { body: joinerWorkflow({ displayName: name }) })));
    const codes = same.map((r) => r.status).sort();
    assert.deepEqual(codes, [201, 409, 409, 409, 409, 409], `parallel creates with one name: ${codes}`);
    const n0 = await count();
    const many = await Promise.all(Array.from({ length: 16 }, () => d.api('POST', WFS, { body: joinerWorkflow() })));
    for (const r of many) expectStatus(r, 201, 'parallel create');
    assert.equal(new Set(many.map((r) => r.json.id)).size, 16);
    assert.equal(await count(), n0 + 16);
    const patches = await Promise.all(many.slice(0, 8).map((r, i) => d.api('PATCH', `${WFS}/${r.json.id}`, { body: { description: `p${i}` } })));
    for (const r of patches) expectStatus(r, 204, 'parallel PATCH');
  });

  test('client-request-id is echoed in errors', async () => {
    const id = crypto.randomUUID();
    const r = await d.api('GET', `${WFS}/${crypto.randomUUID()}`, { headers: { 'client-request-id': id } });
    const e = expectGraphError(r, 404);
    assert.equal(e.innerError['client-request-id'], id);
  });
});

describe('workflow limits (LCW_MAX_WORKFLOWS=3, LCW_MAX_BODY_BYTES=4096)', () => {
  let d;
  before(async () => { d = await startLcwd({ env: { LCW_MAX_WORKFLOWS: '3', LCW_MAX_BODY_BYTES: '4096' } }); });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  test('the 4th workflow is refused with 400', async () => {
    for (let i = 0; i < 3; i++) {
      expectStatus(await d.api('POST', WFS, { body: joinerWorkflow() }), 201, `create #${i + 1}`);
    }
    const r = await d.api('POST', WFS, { body: joinerWorkflow() });
    expectGraphError(r, 400);
    const l = await d.api('GET', WFS);
    assert.equal(l.json.value.length, 3, show(l));
  });

  test('a body over LCW_MAX_BODY_BYTES → 413', async () => {
    const r = await d.api('POST', WFS, { body: JSON.stringify(joinerWorkflow({ description: 'y'.repeat(5000) })) });
    expectGraphError(r, 413);
    expectStatus(await d.api('GET', WFS), 200);
  });
});
