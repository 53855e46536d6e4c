// SPDX-License-Identifier: MIT
// Catalogues and tenant-level resources: taskDefinitions (spec 8),
// workflowTemplates (3.20), settings (3.15), customTaskExtensions (3.14, 5.7)
// and the audit log (product-behaviour A.5) with its filters and paging.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startLcwd, removeDir, LW, expectStatus, expectGraphError, isRfc3339, GUID_RE, collectAll, ROLES,
} from './lib/lcwd.mjs';
import { TD, GRAPH_TASK_DEFINITIONS, TEMPLATE_IDS, joinerWorkflow, uniqueName } from './lib/fixtures.mjs';

const AUDIT = '/v1.0/auditLogs/directoryAudits';
// Catalogue categories include the evolvable member mover (spec 2).
const PREFER = { Prefer: 'include-unknown-enum-members' };

function logicAppExtension(overrides = {}) {
  return {
    displayName: uniqueName('Grant manager access'),
    description: 'Grant manager access to the mailbox and OneDrive',
    endpointConfiguration: {
      '@odata.type': '#microsoft.graph.logicAppTriggerEndpointConfiguration',
      subscriptionId: 'c500b67c-e9b7-4ad2-a90d-77d41385ae55',
      resourceGroupName: 'RG-LCM',
      logicAppWorkflowName: 'ManagerAccess',
    },
    authenticationConfiguration: {
      '@odata.type': '#microsoft.graph.azureAdTokenAuthentication',
      resourceId: '542dc01a-0b5d-4edc-b3f9-5cfe6393f557',
    },
    clientConfiguration: {
      '@odata.type': '#microsoft.graph.customExtensionClientConfiguration',
      maximumRetries: 1,
      timeoutInMilliseconds: 1000,
    },
    callbackConfiguration: {
      '@odata.type': '#microsoft.graph.identityGovernance.customTaskExtensionCallbackConfiguration',
      timeoutDuration: 'PT20M',
    },
    ...overrides,
  };
}

describe('catalogue, settings, extensions, audit', () => {
  let d;
  before(async () => { d = await startLcwd(); });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  test('taskDefinitions: the 25 Graph definitions with exact ids and categories, plus Update user attributes', async () => {
    const { items } = await collectAll(d, `${LW}/taskDefinitions`, { headers: PREFER });
    const byId = new Map(items.map((x) => [x.id.toLowerCase(), x]));
    assert.equal(byId.size, items.length, 'duplicate task definition ids');
    for (const [id, category] of Object.entries(GRAPH_TASK_DEFINITIONS)) {
      const def = byId.get(id.toLowerCase());
      assert.ok(def, `task definition ${id} missing`);
      assert.equal(def.category, category, `${def.displayName}: category`);
      assert.equal(def.version, 1, `${def.displayName}: version`);
      assert.equal(typeof def.displayName, 'string');
      assert.equal(typeof def.description, 'string');
      assert.equal(typeof def.continueOnError, 'boolean');
      assert.ok(Array.isArray(def.parameters));
      for (const p of def.parameters) {
        assert.equal(typeof p.name, 'string');
        assert.ok(Array.isArray(p.values), `${def.displayName}.${p.name}.values`);
        assert.ok(['enum', 'string', 'int', 'bool'].includes(p.valueType), `${def.displayName}.${p.name}.valueType=${p.valueType}`);
      }
    }
    assert.ok(byId.has(TD.updateUserAttributes), 'lcw "Update user attributes" definition missing');
    assert.equal(items.length, 26, `expected 25 Graph definitions + 1 lcw definition, got ${items.length}`);
    // A few parameter facts from spec 8.
    const names = (id) => byId.get(id).parameters.map((p) => p.name).sort();
    assert.deepEqual(names(TD.welcomeEmail), ['cc', 'customBody', 'customSubject', 'locale', 'to']);
    assert.deepEqual(names(TD.addToGroups), ['groupID']);
    assert.deepEqual(names(TD.customExtension), ['customTaskExtensionID']);
    assert.deepEqual(names(TD.requestAccessPackage), ['accessPackageId', 'assignmentPolicyId']);
    assert.deepEqual(names(TD.removeFromAllGroups), []);
    const tapOnce = byId.get(TD.tap).parameters.find((p) => p.name === 'tapIsUsableOnce');
    assert.equal(tapOnce.valueType, 'enum');
    assert.deepEqual([...tapOnce.values].sort(), ['false', 'true']);
  });

  test('taskDefinitions: get by id (case-insensitive), $filter category has, $select', async () => {
    const g = await d.api('GET', `${LW}/taskDefinitions/${TD.onboardingReminder}`);
    expectStatus(g, 200);
    assert.equal(g.json.id.toLowerCase(), TD.onboardingReminder.toLowerCase());
    expectStatus(await d.api('GET', `${LW}/taskDefinitions/${TD.onboardingReminder.toLowerCase()}`), 200, 'lower-case id');
    expectGraphError(await d.api('GET', `${LW}/taskDefinitions/${crypto.randomUUID()}`), 404);

    const { items } = await collectAll(d, `${LW}/taskDefinitions?$filter=${encodeURIComponent("category has 'joiner'")}`, { headers: PREFER });
    const expected = Object.entries(GRAPH_TASK_DEFINITIONS).filter(([, c]) => c.split(',').includes('joiner')).map(([id]) => id.toLowerCase());
    const got = items.map((x) => x.id.toLowerCase());
    for (const id of expected) assert.ok(got.includes(id), `category has 'joiner' missed ${id}`);
    for (const x of items) assert.ok(x.category.split(',').includes('joiner'), `${x.displayName} (${x.category}) is not a joiner task`);

    const leaverOnly = await collectAll(d, `${LW}/taskDefinitions?$filter=${encodeURIComponent("category eq 'leaver'")}`);
    for (const x of leaverOnly.items) assert.equal(x.category, 'leaver');
    const expectedLeaver = Object.entries(GRAPH_TASK_DEFINITIONS).filter(([, c]) => c === 'leaver').map(([id]) => id.toLowerCase()).sort();
    assert.deepEqual(leaverOnly.items.map((x) => x.id.toLowerCase()).sort(), expectedLeaver, "category eq 'leaver'");

    const sel = await d.api('GET', `${LW}/taskDefinitions?$select=id,displayName`);
    expectStatus(sel, 200);
    for (const x of sel.json.value) assert.ok(!('parameters' in x), '$select returned parameters');
  });

  test('workflowTemplates: the spec templates with conditions and inlined tasks', async () => {
    const { items } = await collectAll(d, `${LW}/workflowTemplates`, { headers: PREFER });
    assert.equal(items.length, 10, `expected 10 templates, got ${items.length}`);
    const ids = items.map((x) => x.id.toLowerCase());
    for (const id of TEMPLATE_IDS) assert.ok(ids.includes(id), `template ${id} missing`);
    const cats = new Set(items.map((x) => x.category));
    assert.deepEqual([...cats].sort(), ['joiner', 'leaver', 'mover']);
    for (const t of items) {
      assert.ok(t.displayName, 'template without displayName');
      assert.ok(t.executionConditions?.['@odata.type'], `${t.displayName}: executionConditions`);
      assert.ok(Array.isArray(t.tasks) && t.tasks.length > 0, `${t.displayName}: tasks not inlined`);
      for (const task of t.tasks) assert.ok(task.taskDefinitionId, `${t.displayName}: task without taskDefinitionId`);
    }
    const term = items.find((x) => x.id === '145735f1-57cc-48c2-81ec-727f07a10096');
    assert.equal(term.category, 'leaver');
    assert.equal(term.executionConditions['@odata.type'], '#microsoft.graph.identityGovernance.onDemandExecutionOnly');
    const prehire = await d.api('GET', `${LW}/workflowTemplates/77179007-8114-41b5-922e-2e22109df41f`);
    expectStatus(prehire, 200);
    assert.equal(prehire.json.category, 'joiner');
    assert.equal(prehire.json.executionConditions.trigger.offsetInDays, -7);
    assert.ok(prehire.json.tasks.some((t) => t.taskDefinitionId.toLowerCase() === TD.tap), 'pre-hire template lacks the TAP task');
    const membership = items.find((x) => x.id === '56da3093-d105-40d4-9886-fccd074f2f2a');
    assert.equal(membership.executionConditions.trigger['@odata.type'], '#microsoft.graph.identityGovernance.membershipChangeTrigger');
    expectGraphError(await d.api('GET', `${LW}/workflowTemplates/${crypto.randomUUID()}`), 404);
    const f = await d.api('GET', `${LW}/workflowTemplates?$filter=${encodeURIComponent("category eq 'leaver'")}`);
    expectStatus(f, 200);
    assert.ok(f.json.value.length >= 3);
    for (const x of f.json.value) assert.equal(x.category, 'leaver');
    // A template's body makes a valid workflow.
    const tpl = prehire.json;
    const r = await d.api('POST', `${LW}/workflows`, {
      body: {
        category: tpl.category,
        displayName: uniqueName('From template'),
        description: tpl.description,
        executionConditions: tpl.executionConditions,
        tasks: tpl.tasks.map((t) => ({
          displayName: t.displayName, description: t.description, taskDefinitionId: t.taskDefinitionId,
          isEnabled: t.isEnabled, continueOnError: t.continueOnError, arguments: t.arguments,
        })),
      },
    });
    expectStatus(r, 201, 'workflow from the pre-hire template');
  });

  test('settings: get, patch, range 1..24', async () => {
    const g = await d.api('GET', `${LW}/settings`);
    expectStatus(g, 200);
    assert.equal(g.json.workflowScheduleIntervalInHours, 3, 'default interval');
    assert.ok(g.json.emailSettings && typeof g.json.emailSettings === 'object', 'emailSettings missing');
    for (const v of [1, 24, 6]) {
      const p = await d.api('PATCH', `${LW}/settings`, { body: { workflowScheduleIntervalInHours: v } });
      expectStatus(p, 204, `interval ${v}`);
      assert.equal(p.text, '');
      assert.equal((await d.api('GET', `${LW}/settings`)).json.workflowScheduleIntervalInHours, v);
    }
    for (const v of [0, 25, -1, '6', 2.5]) {
      expectGraphError(await d.api('PATCH', `${LW}/settings`, { body: { workflowScheduleIntervalInHours: v } }), 400,
        { mentions: ['workflowScheduleIntervalInHours'] });
    }
    expectGraphError(await d.api('PATCH', `${LW}/settings`, { body: { bogus: 1 } }), 400, { mentions: ['bogus'] });
    const e = await d.api('PATCH', `${LW}/settings`, { body: { emailSettings: { senderDomain: 'contoso.com', useCompanyBranding: true } } });
    expectStatus(e, 204, 'emailSettings');
    const g2 = (await d.api('GET', `${LW}/settings`)).json;
    assert.equal(g2.workflowScheduleIntervalInHours, 6, 'a refused PATCH changed the interval');
    assert.equal(g2.emailSettings.senderDomain, 'contoso.com');
    assert.equal(g2.emailSettings.useCompanyBranding, true);
    const reader = await d.token(ROLES.GR, 'settings-reader');
    expectGraphError(await d.api('PATCH', `${LW}/settings`, { token: reader, body: { workflowScheduleIntervalInHours: 2 } }), 403);
  });

  test('customTaskExtensions: CRUD with a Logic App endpoint', async () => {
    const body = logicAppExtension();
    const c = await d.api('POST', `${LW}/customTaskExtensions`, { body });
    expectStatus(c, 201, 'create extension');
    const x = c.json;
    assert.match(x.id, GUID_RE);
    assert.equal(x.displayName, body.displayName);
    assert.ok(isRfc3339(x.createdDateTime));
    assert.equal(x.endpointConfiguration['@odata.type'], '#microsoft.graph.logicAppTriggerEndpointConfiguration');
    assert.equal(x.endpointConfiguration.logicAppWorkflowName, 'ManagerAccess');
    assert.equal(x.authenticationConfiguration.resourceId, '542dc01a-0b5d-4edc-b3f9-5cfe6393f557');
    assert.equal(x.clientConfiguration.timeoutInMilliseconds, 1000);
    assert.equal(x.callbackConfiguration.timeoutDuration, 'PT20M');

    const l = await d.api('GET', `${LW}/customTaskExtensions`);
    expectStatus(l, 200);
    assert.ok(l.json.value.some((e) => e.id === x.id));
    const p = await d.api('PATCH', `${LW}/customTaskExtensions/${x.id}`, { body: { description: 'changed' } });
    expectStatus(p, 204);
    assert.equal((await d.api('GET', `${LW}/customTaskExtensions/${x.id}`)).json.description, 'changed');

    // Validation.
    expectGraphError(await d.api('POST', `${LW}/customTaskExtensions`, { body: { ...logicAppExtension(), displayName: undefined } }), 400, { mentions: ['displayName'] });
    expectGraphError(await d.api('POST', `${LW}/customTaskExtensions`, { body: logicAppExtension({ displayName: x.displayName }) }), 409, { mentions: ['displayName'] });
    expectGraphError(await d.api('POST', `${LW}/customTaskExtensions`, {
      body: logicAppExtension({ clientConfiguration: { timeoutInMilliseconds: 5000, maximumRetries: 1 } }),
    }), 400, { mentions: ['timeoutInMilliseconds'] });
    expectGraphError(await d.api('POST', `${LW}/customTaskExtensions`, {
      body: logicAppExtension({ callbackConfiguration: { '@odata.type': '#microsoft.graph.identityGovernance.customTaskExtensionCallbackConfiguration', timeoutDuration: 'PT1M' } }),
    }), 400, { mentions: ['timeoutDuration'] });

    // A workflow task can reference it.
    const w = await d.api('POST', `${LW}/workflows`, {
      body: joinerWorkflow({ tasks: [{ displayName: 'Run extension', description: '', isEnabled: true, continueOnError: false, taskDefinitionId: TD.customExtension, arguments: [{ name: 'customTaskExtensionID', value: x.id }] }] }),
    });
    expectStatus(w, 201, 'workflow with a custom extension task');

    const d2 = await d.api('POST', `${LW}/customTaskExtensions`, { body: logicAppExtension() });
    expectStatus(d2, 201);
    expectStatus(await d.api('DELETE', `${LW}/customTaskExtensions/${d2.json.id}`), 204);
    expectGraphError(await d.api('GET', `${LW}/customTaskExtensions/${d2.json.id}`), 404);
  });

  test('customTaskExtensions: lcw httpRequestEndpoint with a shared secret that is never returned', async () => {
    const secret = 'S3cr3t-shared-between-lcw-and-receiver';
    const body = {
      displayName: uniqueName('Webhook'),
      endpointConfiguration: { '@odata.type': '#microsoft.graph.httpRequestEndpoint', targetUrl: 'https://hooks.example.test/lcw' },
      authenticationConfiguration: { '@odata.type': '#lcw.sharedSecretAuthentication', secret },
    };
    const c = await d.api('POST', `${LW}/customTaskExtensions`, { body });
    expectStatus(c, 201, 'create httpRequestEndpoint extension');
    assert.equal(c.json.endpointConfiguration.targetUrl, 'https://hooks.example.test/lcw');
    assert.ok(!c.text.includes(secret), 'create response contains the secret');
    const g = await d.api('GET', `${LW}/customTaskExtensions/${c.json.id}`);
    assert.ok(!g.text.includes(secret), 'GET returns the secret');
    const l = await d.api('GET', `${LW}/customTaskExtensions`);
    assert.ok(!l.text.includes(secret), 'list returns the secret');
    // PATCH without the secret keeps it; the audit log never shows it.
    expectStatus(await d.api('PATCH', `${LW}/customTaskExtensions/${c.json.id}`, {
      body: { endpointConfiguration: { '@odata.type': '#microsoft.graph.httpRequestEndpoint', targetUrl: 'http://127.0.0.1:9/x' } },
    }), 204);
    const { items } = await collectAll(d, AUDIT);
    assert.ok(!JSON.stringify(items).includes(secret), 'audit log contains the secret');
    expectGraphError(await d.api('POST', `${LW}/customTaskExtensions`, {
      body: { ...body, displayName: uniqueName('bad url'), endpointConfiguration: { '@odata.type': '#microsoft.graph.httpRequestEndpoint', targetUrl: 'ftp://x' } },
    }), 400, { mentions: ['targetUrl'] });
    expectGraphError(await d.api('POST', `${LW}/customTaskExtensions`, {
      body: { ...body, displayName: uniqueName('short secret'), authenticationConfiguration: { '@odata.type': '#lcw.sharedSecretAuthentication', secret: 'short' } },
    }), 400, { mentions: ['secret'] });
  });

  test('audit log: workflow create/update/delete events in Graph directoryAudit shape', async () => {
    const w = (await d.api('POST', `${LW}/workflows`, { body: joinerWorkflow() })).json;
    expectStatus(await d.api('PATCH', `${LW}/workflows/${w.id}`, { body: { description: 'audited change' } }), 204);
    expectStatus(await d.api('DELETE', `${LW}/workflows/${w.id}`), 204);

    const { items } = await collectAll(d, AUDIT);
    const mine = items.filter((e) => (e.targetResources || []).some((t) => t.id === w.id));
    const acts = mine.map((e) => e.activityDisplayName);
    for (const a of ['Create workflow', 'Update workflow', 'Delete workflow']) assert.ok(acts.includes(a), `no '${a}' event for the workflow; got ${JSON.stringify(acts)}`);
    const create = mine.find((e) => e.activityDisplayName === 'Create workflow');
    assert.ok(create.id, 'audit event id');
    assert.ok(isRfc3339(create.activityDateTime));
    assert.equal(create.category, 'WorkflowManagement');
    assert.equal(create.loggedByService, 'Lifecycle Workflows');
    assert.equal(create.result, 'success');
    assert.ok(create.initiatedBy && typeof create.initiatedBy === 'object', 'initiatedBy');
    assert.ok(create.initiatedBy.user || create.initiatedBy.app, `initiatedBy has neither user nor app: ${JSON.stringify(create.initiatedBy)}`);
    const target = create.targetResources.find((t) => t.id === w.id);
    assert.equal(target.displayName, w.displayName);
    const one = await d.api('GET', `${AUDIT}/${create.id}`);
    expectStatus(one, 200);
    assert.equal(one.json.id, create.id);
    expectGraphError(await d.api('GET', `${AUDIT}/${crypto.randomUUID()}`), 404);
  });

  test('audit log: $filter on activity, category and time; paging', async () => {
    for (let i = 0; i < 3; i++) expectStatus(await d.api('POST', `${LW}/workflows`, { body: joinerWorkflow() }), 201);
    const q = (f) => `${AUDIT}?$filter=${encodeURIComponent(f)}`;
    const creates = await collectAll(d, q("activityDisplayName eq 'Create workflow'"));
    assert.ok(creates.items.length >= 4);
    for (const e of creates.items) assert.equal(e.activityDisplayName, 'Create workflow');
    const cat = await collectAll(d, q("category eq 'WorkflowManagement'"));
    for (const e of cat.items) assert.equal(e.category, 'WorkflowManagement');
    assert.ok(cat.items.length >= creates.items.length);

    const future = new Date(Date.now() + 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
    const none = await d.api('GET', q(`activityDateTime ge ${future}`));
    expectStatus(none, 200);
    assert.equal(none.json.value.length, 0, 'events in the future');
    const past = await collectAll(d, q('activityDateTime ge 2020-01-01T00:00:00Z'));
    const all = await collectAll(d, AUDIT);
    assert.equal(past.items.length, all.items.length);

    const paged = await collectAll(d, `${AUDIT}?$top=2`);
    assert.ok(paged.pages >= 3, `$top=2 over ${all.items.length} events gave ${paged.pages} pages`);
    const ids = paged.items.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'an audit event appeared twice while paging');
    assert.equal(ids.length, all.items.length);
    // Newest first.
    const times = all.items.map((e) => Date.parse(e.activityDateTime));
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i], 'audit log not newest first');
    expectGraphError(await d.api('GET', q('activityDisplayName eq')), 400);
  });

  test('audit log: settings and extension changes are audited', async () => {
    expectStatus(await d.api('PATCH', `${LW}/settings`, { body: { workflowScheduleIntervalInHours: 5 } }), 204);
    const { items } = await collectAll(d, AUDIT);
    assert.ok(items.some((e) => e.activityDisplayName === 'Update tenant settings' && e.category === 'WorkflowManagement'),
      'no "Update tenant settings" event');
    assert.ok(items.some((e) => /custom task extension/i.test(e.activityDisplayName)), 'no custom task extension event');
  });
});
