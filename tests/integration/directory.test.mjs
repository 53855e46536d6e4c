// SPDX-License-Identifier: MIT
// The embedded directory: Graph-style users, manager references, groups and
// members, memberOf, licenses, $filter; and the --demo seed.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startLcwd, removeDir, LW, expectStatus, expectGraphError, isRfc3339, GUID_RE, collectAll, ROLES,
} from './lib/lcwd.mjs';

const U = '/v1.0/users';
const G = '/v1.0/groups';
let seq = 0;

function newUser(overrides = {}) {
  seq++;
  const nick = `user${Date.now().toString(36)}${seq}`;
  return {
    accountEnabled: true,
    displayName: `Test User ${seq}`,
    givenName: 'Test',
    surname: `User${seq}`,
    mailNickname: nick,
    userPrincipalName: `${nick}@contoso.test`,
    mail: `${nick}@contoso.test`,
    department: 'Engineering',
    jobTitle: 'Engineer',
    employeeId: `E${1000 + seq}`,
    employeeHireDate: '2026-12-01T00:00:00Z',
    passwordProfile: { forceChangePasswordNextSignIn: true, password: 'xWwvJ]6NMw+bWH-d' },
    ...overrides,
  };
}

function newGroup(overrides = {}) {
  seq++;
  return { displayName: `Group ${seq}`, description: 'test group', mailEnabled: false, mailNickname: `grp${seq}${Date.now().toString(36)}`, securityEnabled: true, ...overrides };
}

describe('embedded directory', () => {
  let d;
  before(async () => { d = await startLcwd(); });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  async function createUser(o) {
    const r = await d.api('POST', U, { body: newUser(o) });
    expectStatus(r, 201, 'create user');
    return r.json;
  }

  test('users: create, get, list, update, delete', async () => {
    const body = newUser({ department: 'Sales', employeeLeaveDateTime: '2027-03-31T17:00:00Z', employeeOrgData: { costCenter: '100', division: 'EMEA' } });
    const c = await d.api('POST', U, { body });
    expectStatus(c, 201);
    const u = c.json;
    assert.match(u.id, GUID_RE);
    assert.equal(u.displayName, body.displayName);
    assert.equal(u.userPrincipalName, body.userPrincipalName);
    assert.equal(u.department, 'Sales');
    assert.equal(u.accountEnabled, true);
    assert.ok(isRfc3339(u.createdDateTime), `createdDateTime: ${u.createdDateTime}`);
    assert.ok(!('passwordProfile' in u) || u.passwordProfile === null || !u.passwordProfile.password, 'password echoed back');
    assert.equal(typeof u['@odata.context'], 'string');

    const g = await d.api('GET', `${U}/${u.id}`);
    expectStatus(g, 200);
    assert.equal(g.json.userPrincipalName, body.userPrincipalName);
    assert.equal(g.json.employeeOrgData?.costCenter, '100');
    assert.ok(isRfc3339(g.json.employeeLeaveDateTime));
    const byUpn = await d.api('GET', `${U}/${encodeURIComponent(body.userPrincipalName)}`);
    expectStatus(byUpn, 200, 'GET /users/{userPrincipalName}');

    const l = await collectAll(d, U);
    assert.ok(l.items.some((x) => x.id === u.id));

    const p = await d.api('PATCH', `${U}/${u.id}`, { body: { department: 'Marketing', jobTitle: 'Lead' } });
    expectStatus(p, 204);
    const g2 = (await d.api('GET', `${U}/${u.id}`)).json;
    assert.equal(g2.department, 'Marketing');
    assert.equal(g2.jobTitle, 'Lead');

    expectStatus(await d.api('DELETE', `${U}/${u.id}`), 204);
    expectGraphError(await d.api('GET', `${U}/${u.id}`), 404);
  });

  test('users: validation (required displayName, unique userPrincipalName, types)', async () => {
    const u = await createUser();
    const n0 = (await collectAll(d, U)).items.length;
    expectGraphError(await d.api('POST', U, { body: newUser({ userPrincipalName: u.userPrincipalName }) }), 400, { mentions: ['userPrincipalName'] });
    expectGraphError(await d.api('POST', U, { body: newUser({ userPrincipalName: u.userPrincipalName.toUpperCase() }) }), 400, { mentions: ['userPrincipalName'] });
    const noName = newUser(); delete noName.displayName;
    expectGraphError(await d.api('POST', U, { body: noName }), 400, { mentions: ['displayName'] });
    const noUpn = newUser(); delete noUpn.userPrincipalName;
    expectGraphError(await d.api('POST', U, { body: noUpn }), 400, { mentions: ['userPrincipalName'] });
    expectGraphError(await d.api('POST', U, { body: newUser({ accountEnabled: 'yes' }) }), 400, { mentions: ['accountEnabled'] });
    expectGraphError(await d.api('POST', U, { body: newUser({ employeeHireDate: 'tomorrow' }) }), 400, { mentions: ['employeeHireDate'] });
    expectGraphError(await d.api('POST', U, { body: newUser({ favouriteColour: 'blue' }) }), 400, { mentions: ['favouriteColour'] });
    const other = await createUser();
    expectGraphError(await d.api('PATCH', `${U}/${other.id}`, { body: { userPrincipalName: u.userPrincipalName } }), 400, { mentions: ['userPrincipalName'] });
    assert.equal((await collectAll(d, U)).items.length, n0 + 1);
  });

  test('manager: PUT/GET/DELETE $ref, directReports', async () => {
    const emp = await createUser();
    const mgr = await createUser({ displayName: 'The Manager' });
    expectGraphError(await d.api('GET', `${U}/${emp.id}/manager`), 404);
    const put = await d.api('PUT', `${U}/${emp.id}/manager/$ref`, { body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${mgr.id}` } });
    expectStatus(put, 204, 'PUT manager/$ref');
    const m = await d.api('GET', `${U}/${emp.id}/manager`);
    expectStatus(m, 200);
    assert.equal(m.json.id, mgr.id);
    assert.equal(m.json.displayName, 'The Manager');
    const ref = await d.api('GET', `${U}/${emp.id}/manager/$ref`);
    expectStatus(ref, 200);
    assert.ok(String(ref.json['@odata.id']).endsWith(mgr.id), `manager/$ref: ${ref.text}`);
    const dr = await d.api('GET', `${U}/${mgr.id}/directReports`);
    expectStatus(dr, 200);
    assert.ok(dr.json.value.some((x) => x.id === emp.id));

    expectGraphError(await d.api('PUT', `${U}/${emp.id}/manager/$ref`, { body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${crypto.randomUUID()}` } }), 404);
    expectGraphError(await d.api('PUT', `${U}/${emp.id}/manager/$ref`, { body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${emp.id}` } }), 400);
    expectGraphError(await d.api('PUT', `${U}/${emp.id}/manager/$ref`, { body: {} }), 400, { mentions: ['@odata.id'] });
    assert.equal((await d.api('GET', `${U}/${emp.id}/manager`)).json.id, mgr.id, 'a refused PUT changed the manager');

    expectStatus(await d.api('DELETE', `${U}/${emp.id}/manager/$ref`), 204);
    expectGraphError(await d.api('GET', `${U}/${emp.id}/manager`), 404);
  });

  test('groups: create, get, list, members $ref add/remove, memberOf, delete', async () => {
    const u = await createUser();
    const c = await d.api('POST', G, { body: newGroup() });
    expectStatus(c, 201, 'create group');
    const g = c.json;
    assert.match(g.id, GUID_RE);
    expectStatus(await d.api('GET', `${G}/${g.id}`), 200);
    assert.ok((await collectAll(d, G)).items.some((x) => x.id === g.id));
    const p = await d.api('PATCH', `${G}/${g.id}`, { body: { description: 'changed' } });
    expectStatus(p, 204);
    assert.equal((await d.api('GET', `${G}/${g.id}`)).json.description, 'changed');

    const add = await d.api('POST', `${G}/${g.id}/members/$ref`, { body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${u.id}` } });
    expectStatus(add, 204, 'add member');
    const again = await d.api('POST', `${G}/${g.id}/members/$ref`, { body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${u.id}` } });
    expectGraphError(again, 400);
    const mem = await d.api('GET', `${G}/${g.id}/members`);
    expectStatus(mem, 200);
    assert.deepEqual(mem.json.value.map((x) => x.id), [u.id]);
    const mo = await d.api('GET', `${U}/${u.id}/memberOf`);
    expectStatus(mo, 200);
    assert.ok(mo.json.value.some((x) => x.id === g.id && x['@odata.type'] === '#microsoft.graph.group'), `memberOf: ${mo.text}`);

    expectGraphError(await d.api('POST', `${G}/${g.id}/members/$ref`, { body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${crypto.randomUUID()}` } }), 404);
    expectStatus(await d.api('DELETE', `${G}/${g.id}/members/${u.id}/$ref`), 204);
    assert.equal((await d.api('GET', `${G}/${g.id}/members`)).json.value.length, 0);
    expectGraphError(await d.api('DELETE', `${G}/${g.id}/members/${u.id}/$ref`), 404);

    expectGraphError(await d.api('POST', G, { body: { mailEnabled: false, securityEnabled: true, mailNickname: 'x' } }), 400, { mentions: ['displayName'] });
    expectStatus(await d.api('DELETE', `${G}/${g.id}`), 204);
    expectGraphError(await d.api('GET', `${G}/${g.id}`), 404);
    assert.equal((await d.api('GET', `${U}/${u.id}/memberOf`)).json.value.length, 0);
  });

  test('$filter, $select, $count on users', async () => {
    const dept = `Dept${Date.now().toString(36)}`;
    await createUser({ department: dept, displayName: 'Filter A' });
    await createUser({ department: dept, displayName: 'Filter B', accountEnabled: false });
    await createUser({ department: 'Sales', displayName: 'Sales person' });
    const eq = await collectAll(d, `${U}?$filter=${encodeURIComponent(`department eq '${dept}'`)}`);
    assert.equal(eq.items.length, 2);
    const sales = await collectAll(d, `${U}?$filter=${encodeURIComponent("department eq 'Sales'")}`);
    assert.ok(sales.items.length >= 1);
    for (const x of sales.items) assert.equal(x.department, 'Sales');
    const both = await collectAll(d, `${U}?$filter=${encodeURIComponent(`department eq '${dept}' and accountEnabled eq false`)}`);
    assert.deepEqual(both.items.map((x) => x.displayName), ['Filter B']);
    const sw = await collectAll(d, `${U}?$filter=${encodeURIComponent("startswith(displayName,'Filter')")}`);
    assert.equal(sw.items.length, 2);
    const sel = await d.api('GET', `${U}?$select=id,displayName`);
    expectStatus(sel, 200);
    for (const x of sel.json.value) assert.ok(!('department' in x));
    const cnt = await d.api('GET', `${U}?$count=true&$filter=${encodeURIComponent(`department eq '${dept}'`)}`);
    assert.equal(cnt.json['@odata.count'], 2);
    expectGraphError(await d.api('GET', `${U}?$filter=${encodeURIComponent('department eq')}`), 400);
    const gf = await collectAll(d, `${G}?$filter=${encodeURIComponent("startswith(displayName,'Group')")}`);
    for (const x of gf.items) assert.ok(x.displayName.startsWith('Group'));
  });

  test('directory changes are audited; Lifecycle Workflows Administrator cannot write the directory', async () => {
    const u = await createUser({ displayName: 'Audited User' });
    const { items } = await collectAll(d, '/v1.0/auditLogs/directoryAudits');
    assert.ok(items.some((e) => (e.targetResources || []).some((t) => t.id === u.id)), 'no audit event for the new user');
    const lcwa = await d.token(ROLES.LCWA, 'dir-lcwa');
    expectStatus(await d.api('GET', `${U}/${u.id}`, { token: lcwa }), 200);
    expectGraphError(await d.api('PATCH', `${U}/${u.id}`, { token: lcwa, body: { department: 'X' } }), 403);
    expectGraphError(await d.api('POST', U, { token: lcwa, body: newUser() }), 403);
  });
});

describe('--demo seed', () => {
  let d;
  before(async () => { d = await startLcwd({ args: ['--demo'] }); });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  test('assignLicense with /subscribedSkus ids (demo licence catalogue)', async () => {
    const skus = await d.api('GET', '/v1.0/subscribedSkus');
    expectStatus(skus, 200);
    assert.ok(skus.json.value.length > 0, 'no subscribed SKUs');
    const sku = skus.json.value[0];
    assert.match(sku.skuId, GUID_RE);
    assert.ok(sku.skuPartNumber);
    const c = await d.api('POST', U, { body: newUser({ usageLocation: 'US' }) });
    expectStatus(c, 201);
    const u = c.json;
    const a = await d.api('POST', `${U}/${u.id}/assignLicense`, { body: { addLicenses: [{ skuId: sku.skuId, disabledPlans: [] }], removeLicenses: [] } });
    expectStatus(a, 200, 'assignLicense');
    assert.equal(a.json.id, u.id);
    const g = (await d.api('GET', `${U}/${u.id}?$select=id,assignedLicenses`)).json;
    assert.ok(g.assignedLicenses.some((l) => l.skuId === sku.skuId), `assignedLicenses: ${JSON.stringify(g.assignedLicenses)}`);
    const q = await d.api('POST', `${U}/${u.id}/microsoft.graph.assignLicense`, { body: { addLicenses: [], removeLicenses: [sku.skuId] } });
    expectStatus(q, 200, 'qualified assignLicense (remove)');
    assert.equal((await d.api('GET', `${U}/${u.id}`)).json.assignedLicenses.length, 0);
    expectGraphError(await d.api('POST', `${U}/${u.id}/assignLicense`, { body: { addLicenses: [{ skuId: crypto.randomUUID() }], removeLicenses: [] } }), 400);
  });

  test('a realistic directory and one workflow per category', async () => {
    const users = (await collectAll(d, U)).items;
    assert.ok(users.length >= 30 && users.length <= 80, `demo users: ${users.length}`);
    const depts = new Set(users.map((u) => u.department).filter(Boolean));
    assert.ok(depts.size >= 3, `demo departments: ${[...depts]}`);
    assert.ok(users.every((u) => u.userPrincipalName && u.displayName));
    assert.ok(users.filter((u) => u.mail).length >= users.length / 2, 'demo users lack mail');
    assert.ok(users.some((u) => u.employeeHireDate), 'no hire dates');
    assert.ok(users.some((u) => u.employeeLeaveDateTime), 'no leave dates');
    let managed = 0;
    for (const u of users.slice(0, 10)) {
      const m = await d.api('GET', `${U}/${u.id}/manager`);
      if (m.status === 200) managed++;
    }
    assert.ok(managed >= 5, `only ${managed} of the first 10 demo users have a manager`);
    const groups = (await collectAll(d, G)).items;
    assert.ok(groups.length >= 2, `demo groups: ${groups.length}`);
    const wfs = (await collectAll(d, `${LW}/workflows`, { headers: { Prefer: 'include-unknown-enum-members' } })).items;
    const cats = wfs.map((w) => w.category).sort();
    for (const c of ['joiner', 'leaver', 'mover']) assert.ok(cats.includes(c), `no demo ${c} workflow (${cats})`);
    const skus = await d.api('GET', '/v1.0/subscribedSkus');
    expectStatus(skus, 200);
    assert.ok(users.some((u) => (u.assignedLicenses || []).length > 0), 'no demo user has a license');
  });
});
