// SPDX-License-Identifier: MIT
//
// The lcw command-line client (issue 7), part 2: workflow definitions
// (workflows, task-definitions, templates), the directory (users, groups and
// the CSV import with good and bad rows), settings and the audit log. Every
// command's success path runs the real build/lcw against a real lcwd, and
// its --json output is parsed and compared with what the API says; refusals
// exit 2.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startLcwd, removeDir, tempDir, LCWD, LW, GUID_RE, expectStatus, collectAll } from './lib/lcwd.mjs';
import { TD, task, joinerWorkflow, TEMPLATE_IDS } from './lib/fixtures.mjs';

const LCW = path.join(path.dirname(LCWD), 'lcw');
const ENUMS = { Prefer: 'include-unknown-enum-members' };

let d, home, work;

function lcw(args, { env = {}, timeoutMs = 30000 } = {}) {
  const base = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LCW_') && k !== 'XDG_CONFIG_HOME') base[k] = v;
  return new Promise((resolve) => {
    execFile(LCW, args, {
      env: { ...base, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), LCW_URL: d.url, LCW_TOKEN: d.adminToken, ...env },
      timeout: timeoutMs, maxBuffer: 16 << 20,
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function expectExit(r, code, what) {
  assert.equal(r.code, code, `${what}: expected exit ${code}, got ${r.code}\nstdout: ${r.stdout.slice(0, 1500)}\nstderr: ${r.stderr.slice(0, 1500)}`);
}

/** Run, expect exit 0, parse stdout as JSON. */
async function lcwJson(args, what = args.join(' ')) {
  const r = await lcw([...args, '--json']);
  expectExit(r, 0, what);
  return JSON.parse(r.stdout);
}

function writeFile(name, content) {
  const p = path.join(work, name);
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

before(async () => {
  // A small page size, so that every list the CLI prints spans several pages.
  d = await startLcwd({ args: ['--demo'], env: { LCW_PAGE_SIZE: '5' } });
  home = tempDir('lcw-cli-wf-home-');
  work = tempDir('lcw-cli-wf-files-');
});

after(async () => {
  if (d) await d.stop();
  if (d) removeDir(d.dataDir);
  removeDir(home);
  removeDir(work);
});

test('workflows list: --json is every workflow as the API returns it (all pages), -q ids, --csv a header row, tab-separated rows on a pipe', async () => {
  const api = (await collectAll(d, `${LW}/workflows`, { headers: ENUMS })).items;
  const json = await lcwJson(['workflows', 'list']);
  assert.deepEqual(json, api);
  assert.ok(json.some((w) => w.category === 'mover'), 'Prefer: include-unknown-enum-members is sent (mover, not unknownFutureValue)');
  const q = await lcw(['workflows', 'list', '-q']);
  expectExit(q, 0, '-q');
  assert.deepEqual(q.stdout.trim().split('\n').sort(), api.map((w) => w.id).sort());
  const csv = await lcw(['workflows', 'list', '--csv']);
  expectExit(csv, 0, '--csv');
  const lines = csv.stdout.trim().split('\r\n');
  assert.equal(lines[0], 'ID,NAME,CATEGORY,ENABLED,SCHEDULED,VERSION');
  assert.equal(lines.length, api.length + 1);
  const tsv = await lcw(['workflows', 'list']);
  expectExit(tsv, 0, 'plain');
  const row = tsv.stdout.split('\n').find((l) => l.startsWith(api[0].id));
  assert.deepEqual(row.split('\t').slice(0, 3), [api[0].id, api[0].displayName, api[0].category]);
});

test('workflows create -f, show (by id and by name, with tasks), tasks, enable/disable, versions, new-version, delete and restore', async () => {
  const body = joinerWorkflow({ tasks: [task(TD.enableAccount, 'Enable')] });
  const file = writeFile('wf.json', body);
  const created = await lcwJson(['workflows', 'create', '-f', file]);
  assert.match(created.id, GUID_RE);
  assert.equal(created.displayName, body.displayName);
  const viaApi = await d.api('GET', `${LW}/workflows/${created.id}?$expand=tasks`, { headers: ENUMS });
  expectStatus(viaApi, 200);

  const byName = await lcwJson(['workflows', 'show', body.displayName]);
  const byId = await lcwJson(['workflows', 'show', created.id.toUpperCase()]);
  delete viaApi.json['@odata.context'];
  assert.deepEqual(byName, viaApi.json, 'show = GET with $expand=tasks, without @odata.context');
  assert.deepEqual(byId, byName, 'an upper-case id is lower-cased');
  const plain = await lcw(['workflows', 'show', created.id]);
  expectExit(plain, 0, 'show');
  assert.match(plain.stdout, /^Name: +.*$/m);
  assert.match(plain.stdout, /Tasks:\n.*Enable/);

  const tasks = await lcwJson(['workflows', 'tasks', created.id]);
  assert.deepEqual(tasks.map((t) => t.displayName), ['Enable']);

  expectExit(await lcw(['workflows', 'disable', body.displayName]), 0, 'disable');
  assert.equal((await d.api('GET', `${LW}/workflows/${created.id}`)).json.isEnabled, false);
  expectExit(await lcw(['workflows', 'enable', created.id]), 0, 'enable');
  assert.equal((await d.api('GET', `${LW}/workflows/${created.id}`)).json.isEnabled, true);

  const v2 = { ...body, description: 'second version', tasks: [task(TD.enableAccount, 'Enable'), task(TD.disableAccount, 'Disable later')] };
  delete v2.isEnabled; delete v2.isSchedulingEnabled;
  const nv = await lcwJson(['workflows', 'new-version', created.id, '-f', writeFile('v2.json', { workflow: v2 })]);
  assert.equal(nv.version, 2);
  const nv3 = await lcwJson(['workflows', 'new-version', created.id, '-f', writeFile('v3.json', { ...v2, description: 'third, unwrapped' })]);
  assert.equal(nv3.version, 3, 'a bare workflow object is wrapped in {"workflow": ...}');
  const versions = await lcwJson(['workflows', 'versions', created.id]);
  assert.deepEqual(versions.map((v) => v.versionNumber).sort(), [1, 2, 3]);

  expectExit(await lcw(['workflows', 'delete', created.id]), 0, 'delete');
  expectStatus(await d.api('GET', `${LW}/workflows/${created.id}`), 404);
  const missing = await lcw(['workflows', 'show', created.id]);
  expectExit(missing, 2, 'show a deleted workflow');
  assert.match(missing.stderr, /ResourceNotFound \(HTTP 404\)/);
  const restored = await lcwJson(['workflows', 'restore', body.displayName]);
  assert.equal(restored.id, created.id, 'restore finds the deleted workflow by name');
  expectStatus(await d.api('GET', `${LW}/workflows/${created.id}`), 200);

  // Refusals: a duplicate name (409) and invalid JSON in the file (usage).
  const dup = await lcw(['workflows', 'create', '-f', file]);
  expectExit(dup, 2, 'duplicate displayName');
  assert.match(dup.stderr, /Conflict \(HTTP 409\)/);
  expectExit(await lcw(['workflows', 'create', '-f', writeFile('bad.json', '{"displayName": ')]), 1, 'malformed JSON file');
  expectExit(await lcw(['workflows', 'show', 'No such workflow name']), 2, 'an unknown name');
});

test('workflows create --template copies the template under a new name; templates list/show and task-definitions list', async () => {
  const templates = await lcwJson(['templates', 'list']);
  assert.equal(templates.length, 10);
  for (const id of TEMPLATE_IDS) assert.ok(templates.some((t) => t.id === id), `template ${id}`);
  const tmpl = await lcwJson(['templates', 'show', TEMPLATE_IDS[5]]);
  assert.ok(tmpl.tasks.length > 0);
  const wf = await lcwJson(['workflows', 'create', '--template', TEMPLATE_IDS[5], '--name', 'Offboard from template']);
  assert.equal(wf.displayName, 'Offboard from template');
  assert.equal(wf.category, tmpl.category);
  assert.deepEqual(wf.executionConditions, tmpl.executionConditions);
  assert.deepEqual(wf.tasks.map((t) => [t.displayName, t.taskDefinitionId]), tmpl.tasks.map((t) => [t.displayName, t.taskDefinitionId]));
  assert.ok(wf.tasks.every((t) => !tmpl.tasks.some((x) => x.id === t.id)), 'tasks get new ids');
  expectExit(await lcw(['workflows', 'create', '--template', '00000000-0000-4000-8000-000000000000', '--name', 'x']), 2, 'unknown template');
  expectExit(await lcw(['workflows', 'create', '--template', TEMPLATE_IDS[0]]), 1, '--template without --name');

  const defs = await lcwJson(['task-definitions', 'list']);
  assert.equal(defs.length, 26);
  assert.ok(defs.some((x) => x.id === TD.welcomeEmail));
});

test('settings show and set (numbers, dotted keys), with a refused value exiting 2 and changing nothing', async () => {
  const before = await lcwJson(['settings', 'show']);
  assert.equal(before.workflowScheduleIntervalInHours, 3);
  const after = await lcwJson(['settings', 'set', 'workflowScheduleIntervalInHours=6', 'emailSettings.senderDomain=contoso.example']);
  assert.equal(after.workflowScheduleIntervalInHours, 6);
  assert.equal(after.emailSettings.senderDomain, 'contoso.example');
  const api = (await d.api('GET', `${LW}/settings`)).json;
  assert.equal(api.workflowScheduleIntervalInHours, 6);
  const bad = await lcw(['settings', 'set', 'workflowScheduleIntervalInHours=99']);
  expectExit(bad, 2, 'an interval of 99');
  assert.match(bad.stderr, /BadRequest \(HTTP 400\): workflowScheduleIntervalInHours/);
  assert.equal((await d.api('GET', `${LW}/settings`)).json.workflowScheduleIntervalInHours, 6);
});

test('audit list: --since, --category and --activity filter the log', async () => {
  const all = await lcwJson(['audit', 'list', '--since', '1h']);
  assert.ok(all.length > 0);
  const settings = await lcwJson(['audit', 'list', '--since', '1h', '--category', 'WorkflowManagement', '--activity', 'Update tenant settings']);
  assert.ok(settings.length >= 1);
  assert.ok(settings.every((e) => e.activityDisplayName === 'Update tenant settings' && e.category === 'WorkflowManagement'));
  const future = await lcwJson(['audit', 'list', '--since', '2999-01-01']);
  assert.deepEqual(future, []);
});

test('users and groups: list, show (by UPN in any case, by id, by group name), with managers and memberships', async () => {
  const users = await lcwJson(['users', 'list']);
  const { items: api, pages } = await collectAll(d, '/v1.0/users');
  assert.ok(pages > 3, `the user list spans several pages (${pages})`);
  assert.deepEqual(users.map((u) => u.id), api.map((u) => u.id), 'every page, each user once, in order');
  const someone = api.find((u) => u.userPrincipalName);
  const shown = await lcwJson(['users', 'show', someone.userPrincipalName.toUpperCase()]);
  assert.equal(shown.id, someone.id);
  assert.ok(Array.isArray(shown.memberOf));
  const byId = await lcwJson(['users', 'show', someone.id]);
  assert.equal(byId.userPrincipalName, someone.userPrincipalName);
  expectExit(await lcw(['users', 'show', 'nobody@contoso.example']), 2, 'unknown user');

  const groups = await lcwJson(['groups', 'list']);
  assert.ok(groups.length >= 1);
  const g = await lcwJson(['groups', 'show', groups[0].displayName]);
  assert.equal(g.id, groups[0].id);
  const members = (await collectAll(d, `/v1.0/groups/${g.id}/members`)).items;
  assert.deepEqual(g.members.map((m) => m.id).sort(), members.map((m) => m.id).sort());
});

test('users import: creates and updates users, sets managers and groups, reports bad rows by line without stopping the good ones', async () => {
  const group = (await d.api('POST', '/v1.0/groups', { body: { displayName: 'Import, Team', mailEnabled: false, securityEnabled: true } })).json;
  const existing = (await d.api('POST', '/v1.0/users', { body: { displayName: 'Existing Person', userPrincipalName: 'existing.person@contoso.example', department: 'Old' } })).json;
  const csv = [
    'userPrincipalName,displayName,department,accountEnabled,employeeOrgData/costCenter,employeeHireDate,manager,groups',
    // line 2: created, manager defined later in the file, two groups (one by a name with a comma, one by id)
    `imp.one@contoso.example,"One, Imported",Sales,true,CC-1,2027-01-04,imp.two@contoso.example,"Import, Team;${group.id}"`,
    // lines 3-4: a quoted field with a line break and a doubled quote
    'imp.two@contoso.example,"Two ""the second""",Sales,false,,,,',
    // line 5: an existing user (matched ignoring case), updated
    'EXISTING.PERSON@contoso.example,Existing Person,New,,,,imp.two@contoso.example,',
    // line 6: a bad boolean
    'imp.bad@contoso.example,Bad Bool,Sales,perhaps,,,,',
    // line 7: an unknown manager (the user is still created)
    'imp.orphan@contoso.example,Orphan,Sales,,,,nobody.here@contoso.example,',
    // line 8: too few fields
    'imp.short@contoso.example,Short',
    // line 9: no userPrincipalName
    ',No UPN,Sales,,,,,',
    // line 10: refused by the API (not a valid UPN)
    'not-an-upn,Bad UPN,Sales,,,,,',
    // line 11: an unknown group
    'imp.group@contoso.example,Group Less,Sales,,,,,No Such Group',
    // line 12: good again after all that
    'imp.last@contoso.example,Last One,Sales,,,,,',
  ].join('\r\n').replace('"Two ""the second"""', '"Two\n""the second"""') + '\r\n';
  const file = writeFile('users.csv', csv);
  const r = await lcw(['users', 'import', file, '--json']);
  expectExit(r, 4, 'an import with failed rows exits 4');
  const out = JSON.parse(r.stdout);
  const byLine = Object.fromEntries(out.rows.map((x) => [x.line, x]));
  assert.equal(byLine[2].result, 'created');
  assert.equal(byLine[3].result, 'created');
  assert.equal(byLine[5].result, 'updated');
  assert.equal(byLine[12].result, 'created');
  for (const line of [6, 7, 8, 9, 10, 11]) assert.equal(byLine[line]?.result, 'failed', `line ${line}: ${JSON.stringify(byLine[line])}`);
  assert.match(byLine[6].error, /accountEnabled/);
  assert.match(byLine[7].error, /manager/);
  assert.match(byLine[8].error, /fields/);
  assert.match(byLine[9].error, /userPrincipalName/);
  assert.match(byLine[10].error, /BadRequest|Request_BadRequest/);
  assert.match(byLine[11].error, /No Such Group/);
  assert.deepEqual([out.created, out.updated, out.unchanged, out.failed], [3, 1, 0, 6]);
  assert.match(r.stderr, /3 created, 1 updated, 0 unchanged, 6 failed/);
  assert.match(r.stderr, /line 6 \(imp\.bad@contoso\.example\)/);

  // What the directory says now.
  const one = (await d.api('GET', '/v1.0/users/imp.one@contoso.example?$expand=manager')).json;
  assert.equal(one.displayName, 'One, Imported');
  assert.equal(one.employeeOrgData.costCenter, 'CC-1');
  assert.equal(one.manager.userPrincipalName, 'imp.two@contoso.example');
  const groupsOfOne = (await collectAll(d, `/v1.0/users/${one.id}/memberOf`)).items.map((x) => x.id);
  assert.deepEqual(groupsOfOne, [group.id], 'added once, though named twice');
  const two = (await d.api('GET', '/v1.0/users/imp.two@contoso.example')).json;
  assert.equal(two.displayName, 'Two\n"the second"');
  assert.equal(two.accountEnabled, false);
  const ex = (await d.api('GET', `/v1.0/users/${existing.id}?$expand=manager`)).json;
  assert.equal(ex.department, 'New');
  assert.equal(ex.manager.userPrincipalName, 'imp.two@contoso.example');
  expectStatus(await d.api('GET', '/v1.0/users/imp.orphan@contoso.example'), 200);
  expectStatus(await d.api('GET', '/v1.0/users/imp.bad@contoso.example'), 404);

  // The same file again: nothing to create, the good rows are unchanged.
  const again = await lcw(['users', 'import', file, '--json']);
  expectExit(again, 4, 'second import');
  const out2 = JSON.parse(again.stdout);
  assert.deepEqual([out2.created, out2.updated, out2.unchanged, out2.failed], [0, 0, 4, 6],
    'the good rows are unchanged (dates compared as instants, managers and groups already set); the bad rows fail again');
});
