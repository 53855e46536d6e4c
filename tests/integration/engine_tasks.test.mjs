// SPDX-License-Identifier: MIT
// Every local task executor (issue 3 "Task executors"; spec section 8;
// product A.4) run on demand against the embedded directory: the success
// path, the no-op path (completed with processingInfo saying why nothing
// changed) and the failure path (failed with a reason naming the object),
// each checked in the directory afterwards through /v1.0/users/{id},
// /memberOf and /groups/{id}/members.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, expectStatus, collectAll } from './lib/lcwd.mjs';
import { TD, task } from './lib/fixtures.mjs';
import {
  createUser, getUser, patchUser, createGroup, createTeam, addMember, createSku, assignLicense, memberOf,
  runOnDemand, tasksOf, userResultOf,
} from './lib/engine.mjs';

const MISSING = '0badc0de-0000-4000-8000-00000000beef';

/** Run one task for `userIds`; returns {h, t(userId) -> the task result}. */
async function one(d, tdef, args, userIds, extra = {}) {
  const h = await runOnDemand(d, [task(tdef, 'T', args, extra)], userIds);
  return { h, t: (uid) => tasksOf(h, uid).T };
}

function expectCompleted(tr, infoRe, what) {
  assert.equal(tr.processingStatus, 'completed', `${what}: ${tr.processingStatus} ${tr.failureReason ?? ''}`);
  assert.equal(tr.failureReason, null, `${what}: failureReason on success`);
  if (infoRe) assert.match(tr.processingInfo || '', infoRe, `${what}: processingInfo`);
}

function expectFailed(tr, reasonRe, what) {
  assert.equal(tr.processingStatus, 'failed', `${what}: ${tr.processingStatus} ${tr.processingInfo ?? ''}`);
  assert.match(tr.failureReason || '', reasonRe, `${what}: failureReason`);
}

describe('engine: local task executors', () => {
  let d;
  before(async () => { d = await startLcwd(); });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  test('enable user account: enables; already enabled -> completed no-op', async () => {
    const u = await createUser(d, { accountEnabled: false });
    let r = await one(d, TD.enableAccount, [], [u.id]);
    expectCompleted(r.t(u.id), /enabled/i, 'enable');
    assert.equal((await getUser(d, u.id)).accountEnabled, true);
    r = await one(d, TD.enableAccount, [], [u.id]);
    expectCompleted(r.t(u.id), /already enabled/i, 'enable again');
    assert.equal((await getUser(d, u.id)).accountEnabled, true);
  });

  test('disable user account: disables; already disabled -> completed no-op', async () => {
    const u = await createUser(d);
    let r = await one(d, TD.disableAccount, [], [u.id]);
    expectCompleted(r.t(u.id), /disabled/i, 'disable');
    assert.equal((await getUser(d, u.id)).accountEnabled, false);
    r = await one(d, TD.disableAccount, [], [u.id]);
    expectCompleted(r.t(u.id), /already disabled/i, 'disable again');
    assert.equal((await getUser(d, u.id)).accountEnabled, false);
  });

  test('delete user account: the user reads as 404 and leaves its groups; later tasks see it gone', async () => {
    const other = await createUser(d);
    const u = await createUser(d);
    const g = await createGroup(d, {}, [u.id, other.id]);
    const h = await runOnDemand(d, [
      task(TD.deleteAccount, 'Delete'),
      task(TD.disableAccount, 'Disable after delete', [], { continueOnError: true }),
    ], [u.id]);
    const t = tasksOf(h, u.id);
    expectCompleted(t.Delete, /deleted/i, 'delete');
    expectFailed(t['Disable after delete'], /no longer exists|not exist/i, 'a task after delete');
    const gone = await d.api('GET', `/v1.0/users/${u.id}`);
    expectStatus(gone, 404, 'GET a deleted user');
    const members = (await collectAll(d, `/v1.0/groups/${g.id}/members`)).items.map((m) => m.id);
    assert.deepEqual(members, [other.id], 'the deleted user is still listed as a group member');
    // A deleted user cannot be activated any more.
    const r = await d.api('POST', `/v1.0/identityGovernance/lifecycleWorkflows/workflows/${h.wf.id}/activate`, { body: { subjects: [{ id: u.id }] } });
    expectStatus(r, 404, 'activate for a deleted user');
  });

  test('delete user account is a soft delete: the user is listed under /directory/deletedItems/microsoft.graph.user', async () => {
    const u = await createUser(d);
    const h = await runOnDemand(d, [task(TD.deleteAccount, 'Delete')], [u.id]);
    expectCompleted(tasksOf(h, u.id).Delete, /deleted/i, 'delete');
    const r = await d.api('GET', '/v1.0/directory/deletedItems/microsoft.graph.user');
    expectStatus(r, 200, 'list deleted users (issue 3: restorable for 30 days)');
    const item = (r.json.value || []).find((x) => x.id === u.id);
    assert.ok(item, 'the deleted user is not listed');
    assert.ok(item.deletedDateTime, 'deletedDateTime of a deleted user');
  });

  test('add user to groups: adds; already a member -> no-op; unknown group -> failed naming it', async () => {
    const u = await createUser(d);
    const g1 = await createGroup(d);
    const g2 = await createGroup(d);
    let r = await one(d, TD.addToGroups, [{ name: 'groupID', value: `${g1.id}, ${g2.id}` }], [u.id]);
    expectCompleted(r.t(u.id), /added to 2 groups/i, 'add to two groups');
    assert.deepEqual(await memberOf(d, u.id), [g1.id, g2.id].sort());
    r = await one(d, TD.addToGroups, [{ name: 'groupID', value: g1.id }], [u.id]);
    expectCompleted(r.t(u.id), /already a member/i, 'add again');
    r = await one(d, TD.addToGroups, [{ name: 'groupID', value: MISSING }], [u.id]);
    expectFailed(r.t(u.id), new RegExp(MISSING), 'unknown group');
    assert.equal(userResultOf(r.h, u.id).processingStatus, 'failed');
    assert.deepEqual(await memberOf(d, u.id), [g1.id, g2.id].sort(), 'memberships changed by a failed task');
  });

  test('remove user from selected groups: removes; not a member -> no-op; unknown group -> failed', async () => {
    const u = await createUser(d);
    const keep = await createGroup(d, {}, [u.id]);
    const drop = await createGroup(d, {}, [u.id]);
    let r = await one(d, TD.removeFromSelectedGroups, [{ name: 'groupID', value: drop.id }], [u.id]);
    expectCompleted(r.t(u.id), /removed from 1 group/i, 'remove');
    assert.deepEqual(await memberOf(d, u.id), [keep.id]);
    r = await one(d, TD.removeFromSelectedGroups, [{ name: 'groupID', value: drop.id }], [u.id]);
    expectCompleted(r.t(u.id), /not a member/i, 'remove again');
    r = await one(d, TD.removeFromSelectedGroups, [{ name: 'groupID', value: MISSING }], [u.id]);
    expectFailed(r.t(u.id), new RegExp(MISSING), 'unknown group');
    assert.deepEqual(await memberOf(d, u.id), [keep.id]);
  });

  test('remove user from all groups: every group and Team; none -> no-op; other members untouched', async () => {
    const u = await createUser(d);
    const other = await createUser(d);
    const g = await createGroup(d, {}, [u.id, other.id]);
    const team = await createTeam(d, {}, [u.id]);
    let r = await one(d, TD.removeFromAllGroups, [], [u.id]);
    expectCompleted(r.t(u.id), /removed/i, 'remove from all groups');
    assert.deepEqual(await memberOf(d, u.id), []);
    assert.deepEqual(await memberOf(d, other.id), [g.id], 'another member was removed');
    assert.equal((await collectAll(d, `/v1.0/groups/${team.id}/members`)).items.length, 0);
    r = await one(d, TD.removeFromAllGroups, [], [u.id]);
    expectCompleted(r.t(u.id), /not a member/i, 'remove from all groups again');
  });

  test('Teams: add to a Team, no-op, a plain group is refused; remove from Teams; remove from all Teams keeps plain groups', async () => {
    const u = await createUser(d);
    const team = await createTeam(d);
    const plain = await createGroup(d);
    let r = await one(d, TD.addToTeams, [{ name: 'teamID', value: team.id }], [u.id]);
    expectCompleted(r.t(u.id), /added to 1 team/i, 'add to Team');
    assert.deepEqual(await memberOf(d, u.id), [team.id]);
    r = await one(d, TD.addToTeams, [{ name: 'teamID', value: team.id }], [u.id]);
    expectCompleted(r.t(u.id), /already a member/i, 'add to Team again');
    r = await one(d, TD.addToTeams, [{ name: 'teamID', value: plain.id }], [u.id]);
    expectFailed(r.t(u.id), /not a team/i, 'add to a group that is not a Team');
    assert.ok(r.t(u.id).failureReason.includes(plain.id), 'the reason names the group');
    assert.deepEqual(await memberOf(d, u.id), [team.id], 'a non-Team group got the member');

    r = await one(d, TD.removeFromSelectedTeams, [{ name: 'teamID', value: team.id }], [u.id]);
    expectCompleted(r.t(u.id), /removed from 1 team/i, 'remove from Team');
    assert.deepEqual(await memberOf(d, u.id), []);
    r = await one(d, TD.removeFromSelectedTeams, [{ name: 'teamID', value: team.id }], [u.id]);
    expectCompleted(r.t(u.id), /not a member/i, 'remove from Team again');

    const team2 = await createTeam(d);
    await addMember(d, team.id, u.id);
    await addMember(d, team2.id, u.id);
    await addMember(d, plain.id, u.id);
    r = await one(d, TD.removeFromAllTeams, [], [u.id]);
    expectCompleted(r.t(u.id), /removed/i, 'remove from all Teams');
    assert.deepEqual(await memberOf(d, u.id), [plain.id], 'remove from all Teams must keep plain groups only');
    r = await one(d, TD.removeFromAllTeams, [], [u.id]);
    expectCompleted(r.t(u.id), /not a member/i, 'remove from all Teams again');
  });

  test('licences: assign (by skuId and part number), no-op, unknown licence fails naming it; remove selected; remove all', async () => {
    const e3 = await createSku(d, 'ENTERPRISEPACK_T', 20);
    const ems = await createSku(d, 'EMS_T', 20);
    const u = await createUser(d, { usageLocation: 'US' });
    const skus = async () => (await getUser(d, u.id)).assignedLicenses.map((l) => l.skuId).sort();

    let r = await one(d, TD.assignLicenses, [{ name: 'licenses', value: `${e3.skuId},EMS_T` }], [u.id]);
    expectCompleted(r.t(u.id), /assigned 2 licenses/i, 'assign two');
    assert.deepEqual(await skus(), [e3.skuId, ems.skuId].sort());
    r = await one(d, TD.assignLicenses, [{ name: 'licenses', value: e3.skuId }], [u.id]);
    expectCompleted(r.t(u.id), /already had/i, 'assign again');
    r = await one(d, TD.assignLicenses, [{ name: 'licenses', value: MISSING }], [u.id]);
    expectFailed(r.t(u.id), new RegExp(MISSING, 'i'), 'unknown licence');
    assert.deepEqual(await skus(), [e3.skuId, ems.skuId].sort());

    r = await one(d, TD.removeLicenses, [{ name: 'licenses', value: ems.skuId }], [u.id]);
    expectCompleted(r.t(u.id), /removed 1 license/i, 'remove selected');
    assert.deepEqual(await skus(), [e3.skuId]);
    r = await one(d, TD.removeLicenses, [{ name: 'licenses', value: ems.skuId }], [u.id]);
    expectCompleted(r.t(u.id), /did not have/i, 'remove selected again');

    await assignLicense(d, u.id, ems.skuId);
    r = await one(d, TD.removeAllLicenses, [], [u.id]);
    expectCompleted(r.t(u.id), /removed 2 licenses/i, 'remove all');
    assert.deepEqual(await skus(), []);
    r = await one(d, TD.removeAllLicenses, [], [u.id]);
    expectCompleted(r.t(u.id), /no licenses/i, 'remove all again');
    // consumedUnits follows.
    const sku = await d.api('GET', `/v1.0/subscribedSkus/${e3.skuId}`);
    expectStatus(sku, 200);
    assert.equal(sku.json.consumedUnits, 0);
  });

  test('revoke all refresh tokens: signInSessionsValidFromDateTime moves to the run time', async () => {
    const u = await createUser(d);
    const before = Date.parse((await getUser(d, u.id)).signInSessionsValidFromDateTime);
    await new Promise((res) => setTimeout(res, 20));
    const started = Date.now();
    const r = await one(d, TD.revokeRefreshTokens, [], [u.id]);
    expectCompleted(r.t(u.id), /revoked/i, 'revoke');
    const after = Date.parse((await getUser(d, u.id)).signInSessionsValidFromDateTime);
    assert.ok(after > before, `signInSessionsValidFromDateTime did not move (${before} -> ${after})`);
    assert.ok(after >= started - 1000 && after <= Date.now() + 1000, 'signInSessionsValidFromDateTime is not the run time');
  });

  test('update user attributes: sets them; same values -> no-op; a value the directory refuses -> failed naming it', async () => {
    const u = await createUser(d, { department: 'Sales', jobTitle: 'Rep' });
    let r = await one(d, TD.updateUserAttributes, [{ name: 'attributes', value: JSON.stringify({ department: 'Finance', jobTitle: null, city: 'Dublin' }) }], [u.id]);
    expectCompleted(r.t(u.id), /updated 3 attributes/i, 'update');
    const got = await getUser(d, u.id);
    assert.equal(got.department, 'Finance');
    assert.equal(got.jobTitle, null);
    assert.equal(got.city, 'Dublin');
    r = await one(d, TD.updateUserAttributes, [{ name: 'attributes', value: JSON.stringify({ department: 'Finance' }) }], [u.id]);
    expectCompleted(r.t(u.id), /already had/i, 'update again');
    r = await one(d, TD.updateUserAttributes, [{ name: 'attributes', value: JSON.stringify({ mail: 'not-an-address' }) }], [u.id]);
    expectFailed(r.t(u.id), /mail/, 'a refused value');
    assert.equal((await getUser(d, u.id)).mail, null, 'a refused value was stored');
  });

  test('access-package tasks fail with "not supported by the embedded directory"', async () => {
    const u = await createUser(d);
    const ap = [
      { name: 'accessPackageId', value: '0badc0de-4444-4444-8444-000000000006' },
    ];
    const h = await runOnDemand(d, [
      task(TD.removeAccessPackage, 'Remove AP', ap, { continueOnError: true }),
      task(TD.removeAllAccessPackages, 'Remove all APs', [], { continueOnError: true }),
      task(TD.cancelAccessPackageRequests, 'Cancel AP requests', [], { continueOnError: true }),
    ], [u.id]);
    for (const [n, t] of Object.entries(tasksOf(h, u.id))) expectFailed(t, /not supported by the embedded directory/i, n);
    const j = await runOnDemand(d, [task(TD.requestAccessPackage, 'Request AP', [
      { name: 'assignmentPolicyId', value: '0badc0de-4444-4444-8444-000000000007' }, ...ap,
    ])], [u.id]);
    expectFailed(tasksOf(j, u.id)['Request AP'], /not supported by the embedded directory/i, 'request access package');
    assert.equal(userResultOf(h, u.id).processingStatus, 'completedWithErrors');
    assert.equal(userResultOf(j, u.id).processingStatus, 'failed');
  });

  test('a later task sees what an earlier task of the same user did (update attributes, then a group add by the new state)', async () => {
    const u = await createUser(d, { accountEnabled: false });
    const g = await createGroup(d);
    const h = await runOnDemand(d, [
      task(TD.enableAccount, 'Enable'),
      task(TD.updateUserAttributes, 'Move', [{ name: 'attributes', value: JSON.stringify({ department: 'Ops' }) }]),
      task(TD.addToGroups, 'Group', [{ name: 'groupID', value: g.id }]),
      task(TD.enableAccount, 'Enable again'),
    ], [u.id]);
    const t = tasksOf(h, u.id);
    expectCompleted(t.Enable, /enabled the user/i, 'enable');
    expectCompleted(t['Enable again'], /already enabled/i, 'the later task sees the enabled account');
    const got = await getUser(d, u.id);
    assert.equal(got.department, 'Ops');
    assert.deepEqual(await memberOf(d, u.id), [g.id]);
    await patchUser(d, u.id, { department: null });
  });
});
