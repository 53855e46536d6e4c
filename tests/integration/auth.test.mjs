// SPDX-License-Identifier: MIT
// Authentication (401), token lifecycle, and the route x role matrix: every
// route in routes.mjs, for each role and a few application-permission tokens,
// must be allowed or denied (403) as spec section 10 says.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  startLcwd, removeDir, runLcwd, LW, SOURCE_DIR, expectStatus, expectGraphError, show,
} from './lib/lcwd.mjs';
import { joinerWorkflow, TD } from './lib/fixtures.mjs';
import { ROUTES, PERMS, normalisedTemplate } from './routes.mjs';

const { R, RW, WF_BASIC, WF_READ, WF_WRITE, EXT_READ, EXT_WRITE, AUDIT, DIR_READ, DIR_WRITE } = PERMS;
const WF_ACTIVATE = 'LifecycleWorkflows-Workflow.Activate';
const REPORTS = 'LifecycleWorkflows-Reports.Read.All';

// Spec section 10: what each role / application permission satisfies.
// Read.All covers every granular read, ReadWrite.All every granular
// permission; ReadWrite siblings imply their Read; Workflow.Read implies
// ReadBasic. Directory roles: Global Reader reads everything, Lifecycle
// Workflows Administrator reads and writes LCW (and reads the directory and
// audit log), Global Administrator does everything.
const LCW_READS = [R, WF_BASIC, WF_READ, REPORTS, EXT_READ];
const LCW_ALL = [...LCW_READS, RW, WF_WRITE, WF_ACTIVATE, EXT_WRITE];
const GRANTS = {
  'Global Administrator': 'ALL',
  'Lifecycle Workflows Administrator': [...LCW_ALL, DIR_READ, AUDIT],
  'Global Reader': [...LCW_READS, DIR_READ, AUDIT],
  'LifecycleWorkflows.Read.All': LCW_READS,
  'LifecycleWorkflows.ReadWrite.All': LCW_ALL,
  'LifecycleWorkflows-Workflow.ReadBasic.All': [WF_BASIC],
  'LifecycleWorkflows-Workflow.Read.All': [WF_BASIC, WF_READ],
  'LifecycleWorkflows-Workflow.ReadWrite.All': [WF_BASIC, WF_READ, WF_WRITE],
  'LifecycleWorkflows-Workflow.Activate': [WF_ACTIVATE],
  'LifecycleWorkflows-Reports.Read.All': [REPORTS],
  'LifecycleWorkflows-CustomExt.Read.All': [EXT_READ],
  'LifecycleWorkflows-CustomExt.ReadWrite.All': [EXT_READ, EXT_WRITE],
  'AuditLog.Read.All': [AUDIT],
  'Directory.Read.All': [DIR_READ],
  'Directory.ReadWrite.All': [DIR_READ, DIR_WRITE],
  'LifecycleWorkflows-Workflow.Read.All,AuditLog.Read.All': [WF_BASIC, WF_READ, AUDIT],
};

function allowed(role, perm) {
  const g = GRANTS[role];
  if (perm === PERMS.CALLBACK) return true;
  return g === 'ALL' || g.includes(perm);
}

/** The (method, pattern) pairs of src/api/routes.c, patterns lower-cased, "!x" -> "x". */
function routesFromSource() {
  const src = fs.readFileSync(path.join(SOURCE_DIR, 'src', 'api', 'routes.c'), 'utf8');
  const macros = {};
  for (const m of src.matchAll(/^#define\s+(\w+)\s+(.+)$/gm)) macros[m[1]] = m[2].trim();
  const expand = (expr) => {
    let out = '';
    for (const tok of expr.match(/"[^"]*"|\w+/g) || []) {
      if (tok.startsWith('"')) out += tok.slice(1, -1);
      else if (macros[tok] !== undefined) out += expand(macros[tok]);
      else throw new Error(`routes.c: cannot expand ${tok}`);
    }
    return out;
  };
  const routes = [];
  for (const m of src.matchAll(/\{\s*"([A-Z]+)"\s*,\s*([^,]+?)\s*,\s*(PERM_\w+)/g)) {
    routes.push(`${m[1]} ${expand(m[2]).replace(/!/g, '').toLowerCase()}`);
  }
  return routes;
}

describe('authentication', () => {
  let d;
  before(async () => { d = await startLcwd(); });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  test('healthz needs no token', async () => {
    const r = await d.api('GET', '/healthz', { token: null });
    expectStatus(r, 200);
  });

  test('401 with the Graph envelope: no token, unknown token, wrong scheme', async () => {
    const url = `${LW}/workflows`;
    expectGraphError(await d.api('GET', url, { token: null }), 401);
    expectGraphError(await d.api('GET', url, { token: 'lcw_not_a_real_token_at_all_123456' }), 401);
    expectGraphError(await d.api('GET', url, { token: null, headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } }), 401);
    expectGraphError(await d.api('GET', url, { token: null, headers: { Authorization: 'Bearer' } }), 401);
    expectGraphError(await d.api('GET', url, { token: `${d.adminToken}x` }), 401);
    // 401 takes precedence over a bad body or an unknown id.
    expectGraphError(await d.api('POST', url, { token: null, body: '{bad json' }), 401);
    expectGraphError(await d.api('GET', `${url}/${crypto.randomUUID()}`, { token: null }), 401);
    // A 401 changes nothing.
    expectGraphError(await d.api('POST', url, { token: null, body: joinerWorkflow() }), 401);
    const l = await d.api('GET', url);
    expectStatus(l, 200);
    assert.equal(l.json.value.length, 0);
  });

  test('the LCW_ADMIN_TOKEN works, scheme is case-insensitive', async () => {
    expectStatus(await d.api('GET', `${LW}/workflows`), 200);
    expectStatus(await d.api('GET', `${LW}/workflows`, { token: null, headers: { Authorization: `bearer ${d.adminToken}` } }), 200);
  });

  test('token create / list / revoke; a revoked token gets 401', async () => {
    const name = `revoke-me-${Date.now()}`;
    const tok = await d.token('Global Reader', name);
    expectStatus(await d.api('GET', `${LW}/workflows`, { token: tok }), 200);
    const list = await runLcwd(['token', 'list', '--data-dir', d.dataDir]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.includes(name), `token list lacks ${name}:\n${list.stdout}`);
    assert.ok(!list.stdout.includes(tok), 'token list printed a token secret');
    assert.ok(!list.stdout.includes(d.adminToken), 'token list printed the admin token');

    const rv = await runLcwd(['token', 'revoke', name, '--data-dir', d.dataDir]);
    assert.equal(rv.code, 0, `token revoke failed: ${rv.stderr}`);
    expectGraphError(await d.api('GET', `${LW}/workflows`, { token: tok }), 401);
    const list2 = await runLcwd(['token', 'list', '--data-dir', d.dataDir]);
    assert.ok(!list2.stdout.split('\n').some((l) => l.includes(name) && !/revoked/i.test(l)),
      `revoked token still listed as active:\n${list2.stdout}`);
  });

  test('token create refuses unknown roles and duplicate names', async () => {
    const bad = await runLcwd(['token', 'create', '--data-dir', d.dataDir, '--role', 'Supreme Leader', '--name', 'x1']);
    assert.notEqual(bad.code, 0, 'unknown role accepted');
    assert.equal(bad.stdout.trim(), '', 'printed a token for an unknown role');
    await d.token('Global Reader', 'dup-name');
    const dup = await runLcwd(['token', 'create', '--data-dir', d.dataDir, '--role', 'Global Reader', '--name', 'dup-name']);
    assert.notEqual(dup.code, 0, 'duplicate token name accepted');
  });
});

describe('route x role matrix', () => {
  let d;
  const ids = {};
  const real = new Set(); // placeholders bound to an existing object
  const tokens = {};

  before(async () => {
    d = await startLcwd();
    const admin = (m, p, body) => d.api(m, p, { body });

    const w = await admin('POST', `${LW}/workflows`, joinerWorkflow());
    expectStatus(w, 201, 'fixture workflow');
    ids.workflowId = w.json.id;
    const t = await admin('GET', `${LW}/workflows/${w.json.id}/tasks`);
    ids.taskId = t.json.value[0].id;
    ids.versionNumber = '1';
    const gone = await admin('POST', `${LW}/workflows`, joinerWorkflow());
    expectStatus(gone, 201);
    expectStatus(await admin('DELETE', `${LW}/workflows/${gone.json.id}`), 204);
    ids.deletedWorkflowId = gone.json.id;
    ids.taskDefinitionId = TD.enableAccount;
    const tpl = await admin('GET', `${LW}/workflowTemplates`);
    expectStatus(tpl, 200);
    ids.templateId = tpl.json.value[0].id;
    const ext = await admin('POST', `${LW}/customTaskExtensions`, {
      displayName: `matrix ext ${Date.now()}`,
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
    });
    if (ext.status === 201) { ids.extensionId = ext.json.id; real.add('extensionId'); }
    const au = await admin('GET', '/v1.0/auditLogs/directoryAudits');
    if (au.status === 200 && au.json.value.length) { ids.auditId = au.json.value[0].id; real.add('auditId'); }
    const u = await admin('POST', '/v1.0/users', {
      displayName: 'Matrix User', userPrincipalName: `matrix.${Date.now()}@contoso.test`, accountEnabled: true,
    });
    const m = await admin('POST', '/v1.0/users', {
      displayName: 'Matrix Manager', userPrincipalName: `matrix.mgr.${Date.now()}@contoso.test`, accountEnabled: true,
    });
    if (u.status === 201) { ids.userId = u.json.id; real.add('userId'); }
    if (u.status === 201 && m.status === 201) {
      const mr = await admin('PUT', `/v1.0/users/${u.json.id}/manager/$ref`, { '@odata.id': `${d.url}/v1.0/users/${m.json.id}` });
      if (mr.status === 204) real.add('manager');
    }
    const g = await admin('POST', '/v1.0/groups', {
      displayName: 'Matrix Group', mailEnabled: false, mailNickname: `matrix${Date.now()}`, securityEnabled: true,
    });
    if (g.status === 201) { ids.groupId = g.json.id; real.add('groupId'); }
    const sku = await admin('POST', '/v1.0/subscribedSkus', { skuPartNumber: `MATRIX${Date.now()}`, prepaidUnits: { enabled: 5 } });
    if (sku.status === 201) { ids.skuId = sku.json.skuId; real.add('skuId'); }
    for (const k of ['workflowId', 'taskId', 'versionNumber', 'deletedWorkflowId', 'taskDefinitionId', 'templateId']) real.add(k);
    for (const k of ['extensionId', 'auditId', 'userId', 'groupId', 'skuId']) ids[k] ??= crypto.randomUUID();
    ids.missingId = crypto.randomUUID();
    ids.memberId = crypto.randomUUID();

    for (const role of Object.keys(GRANTS)) tokens[role] = await d.token(role, `matrix-${Object.keys(tokens).length}`);
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  test('routes.mjs lists exactly the routes of src/api/routes.c', () => {
    const fromC = new Set(routesFromSource());
    const fromJs = new Set(ROUTES.map((r) => `${r.method} ${normalisedTemplate(r)}`));
    assert.ok(fromC.size > 20, `parsed only ${fromC.size} routes from routes.c`);
    const missing = [...fromC].filter((x) => !fromJs.has(x));
    const extra = [...fromJs].filter((x) => !fromC.has(x));
    assert.deepEqual({ missingFromRoutesMjs: missing, notInRoutesC: extra }, { missingFromRoutesMjs: [], notInRoutesC: [] });
  });

  for (const role of Object.keys(GRANTS)) {
    test(`matrix: ${role}`, async () => {
      const wrong = [];
      for (const route of ROUTES) {
        const placeholders = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const url = route.path.replace(/\{(\w+)\}/g, (_, k) => ids[k]);
        const r = await d.api(route.method, url, { token: tokens[role], body: route.body });
        const want = allowed(role, route.perm);
        const label = `${route.method} ${route.template || route.path} [${route.perm}]`;
        if (want) {
          const allRealGet = route.method === 'GET' && placeholders.every((k) => real.has(k)) &&
            (!/\/manager/.test(route.path) || real.has('manager'));
          if (r.status === 401 || r.status === 403 || r.status >= 500) {
            wrong.push(`${label}: expected allow, got ${show(r)}`);
          } else if (allRealGet && r.status !== 200) {
            wrong.push(`${label}: expected 200 for an allowed read, got ${show(r)}`);
          }
        } else if (r.status !== 403) {
          wrong.push(`${label}: expected 403, got ${show(r)}`);
        } else {
          try { expectGraphError(r, 403); } catch (e) { wrong.push(`${label}: bad 403 body: ${e.message}`); }
        }
      }
      assert.deepEqual(wrong, [], `${role}:\n${wrong.join('\n')}`);
    });
  }

  test('the matrix changed nothing', async () => {
    const l = await d.api('GET', `${LW}/workflows`);
    assert.equal(l.json.value.length, 1);
    const w = await d.api('GET', `${LW}/workflows/${ids.workflowId}?$expand=tasks`);
    assert.equal(w.json.version, 1);
    expectStatus(await d.api('GET', `${LW}/deletedItems/workflows/${ids.deletedWorkflowId}`), 200);
    const s = await d.api('GET', `${LW}/settings`);
    assert.equal(s.json.workflowScheduleIntervalInHours, 3);
  });
});
