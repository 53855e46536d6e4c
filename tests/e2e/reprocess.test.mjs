// SPDX-License-Identifier: MIT
// The admin center's headline path, in a real browser against a real lcwd
// and a real SMTP server (issue 6, "Tests"): create a workflow from a
// template through the wizard; run it on demand for 3 users while the SMTP
// server is down; see the failures with their reason in Workflow history ->
// Users; start the SMTP server; select the failed users -> Reprocess ->
// failed tasks -> the plan shows the right users and tasks -> Confirm -> the
// new run completes and the lineage shows in both runs; reprocess a run from
// the Runs view; the audit log lists the reprocess. The tests run in order
// and share one lcwd, one SMTP port and one browser page.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, stopServer, startSmtp, freePort, launchBrowser, openPage, signIn, screenshot,
  assertNoPageErrors, until, UI_TIMEOUT,
} from './lib/harness.mjs';

const LW = '/v1.0/identityGovernance/lifecycleWorkflows';
const NAME = 'Onboard Marketing hires';
const USERS = ['Aiko Tanaka', 'Irvin Sayers', 'Tomas Rivera'];

describe('admin center: run, fail, reprocess, lineage, audit', () => {
  let d;
  let smtp;
  let smtpPort;
  let browser;
  let page;
  const s = {}; // state passed from test to test: wfId, firstRunId, reprocessRunId

  before(async () => {
    smtpPort = await freePort(); // nothing listens here until the reprocess step
    d = await startServer({ smtpPort, demo: true });
    browser = await launchBrowser();
    page = await openPage(browser, { width: 1280 });
  });
  after(async () => {
    if (browser) await browser.close();
    if (smtp) await smtp.stop();
    await stopServer(d);
  });

  test('sign in, then create a workflow from a template through the wizard', async () => {
    await signIn(page, d, d.adminToken);
    assert.equal(await page.locator('.who-role').textContent(), 'Global Administrator');
    await page.getByRole('link', { name: 'Create workflow' }).click();
    await page.getByRole('button', { name: /Onboard new hire employee/ }).click();
    // Basics
    await page.getByLabel('Name').fill(NAME);
    await page.getByRole('button', { name: 'Next' }).click();
    // Execution conditions: the rule is editable and checked against the directory.
    const rule = page.getByLabel('Rule');
    assert.match(await rule.inputValue(), /department eq 'Marketing'/);
    await page.getByText(/Valid rule: \d+ users? match today/).waitFor();
    await rule.fill("department eq 'Marketing' and");
    await page.locator('.error').filter({ hasText: /filter/i }).waitFor();
    await rule.fill("department eq 'Marketing'");
    await page.getByText(/Valid rule/).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    // Tasks: the welcome email stops the user's tasks when it fails.
    const email = page.locator('.task-row').filter({ hasText: 'Send welcome email' });
    await email.waitFor();
    assert.equal(await email.getByLabel('Continue on error').isChecked(), false);
    assert.equal(await email.getByLabel('Enabled', { exact: true }).isChecked(), true);
    await page.getByRole('button', { name: 'Next' }).click();
    // Review and create.
    await page.getByRole('heading', { name: 'Review' }).waitFor();
    await page.getByRole('button', { name: 'Create workflow' }).click();
    await page.getByRole('heading', { level: 1, name: NAME }).waitFor();
    s.wfId = page.url().split('#/workflows/')[1];
    const wf = await d.api('GET', `${LW}/workflows/${s.wfId}?$expand=tasks`);
    assert.equal(wf.status, 200, wf.text);
    assert.equal(wf.json.displayName, NAME);
    assert.ok(wf.json.tasks.some((t) => t.displayName === 'Send welcome email' && t.continueOnError === false));
    await screenshot(page, 'reprocess-1-created');
    assertNoPageErrors(page);
  });

  test('run it on demand for 3 users while the SMTP server is down', async () => {
    await page.getByRole('link', { name: 'Run on demand' }).click();
    const search = page.getByLabel('Search users');
    for (const name of USERS) {
      await search.fill(name.split(' ')[0]);
      await page.getByRole('button', { name: `Add ${name}` }).click();
    }
    await page.getByText('3 of 10 selected').waitFor();
    await page.getByRole('button', { name: 'Run workflow' }).click();
    // The run's page follows it live until it ends.
    await page.locator('h2').filter({ hasText: 'Run of' }).locator('.badge', { hasText: 'Failed' }).waitFor({ timeout: UI_TIMEOUT * 2 });
    s.firstRunId = page.url().split('/runs/')[1];
    assert.ok(s.firstRunId, page.url());
    await screenshot(page, 'reprocess-2-run-failed');
    assertNoPageErrors(page);
  });

  test('Workflow history -> Users shows the failures with their reason', async () => {
    await page.getByRole('link', { name: 'Workflow history', exact: true }).click();
    await page.getByRole('navigation', { name: 'History view' }).getByRole('link', { name: 'Users' }).waitFor();
    const rows = page.locator('table.data tbody tr');
    await until(async () => (await rows.count()) === 3, '3 user rows');
    for (const name of USERS) {
      const row = rows.filter({ hasText: name });
      await row.locator('.badge', { hasText: 'Failed' }).waitFor();
      await row.locator('.reason', { hasText: /Send welcome email: .*SMTP/ }).waitFor();
    }
    // Cards: 3 users processed, all failed.
    const card = (label) => page.locator('.card').filter({ has: page.locator('.card-label', { hasText: new RegExp(`^${label}$`) }) }).locator('.card-value');
    assert.equal(await card('Total users processed').textContent(), '3');
    assert.equal(await card('Failed users').textContent(), '3');
    // A user's row opens that user's task results: reason and processingInfo.
    await rows.filter({ hasText: USERS[0] }).getByRole('link', { name: USERS[0] }).click();
    const tasks = page.locator('table.data tbody tr');
    await tasks.filter({ hasText: 'Enable user account' }).filter({ hasText: /already enabled|enabled/i }).waitFor();
    await tasks.filter({ hasText: 'Send welcome email' }).locator('.reason', { hasText: 'SMTP' }).waitFor();
    await page.setViewportSize({ width: 800, height: 900 });
    await screenshot(page, 'reprocess-3-user-failure-800px');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goBack();
    await until(async () => (await rows.count()) === 3, 'user rows again');
    await screenshot(page, 'reprocess-3-history-users');
    assertNoPageErrors(page);
  });

  test('start SMTP; select the failed users -> Reprocess -> failed tasks -> plan -> Confirm; the new run completes; lineage both ways', async () => {
    smtp = await startSmtp(smtpPort);
    for (const name of USERS) await page.getByLabel(`Select ${name}`).check();
    await page.getByRole('button', { name: 'Reprocess (3)' }).click();
    const dlg = page.getByRole('dialog', { name: 'Reprocess 3 users' });
    await dlg.getByLabel(/Failed tasks/).check();
    // The plan: 3 users, each with only the failed task.
    await dlg.locator('.plan-summary', { hasText: '3 users and 3 tasks will run' }).waitFor();
    const planRows = dlg.locator('table.data tbody tr');
    assert.equal(await planRows.count(), 3);
    for (const name of USERS) {
      const r = planRows.filter({ hasText: name });
      assert.equal(await r.locator('li').count(), 1, `${name}: one task`);
      assert.equal((await r.locator('li').textContent()).trim(), 'Send welcome email');
    }
    await screenshot(page, 'reprocess-4-plan');
    await dlg.getByRole('button', { name: 'Confirm' }).click();
    await dlg.getByText('The new run ended: completed.').waitFor({ timeout: UI_TIMEOUT * 3 });
    await until(() => smtp.messages().length === 3, 'three welcome emails');
    await screenshot(page, 'reprocess-4-followed');

    // The new run names its source ...
    await dlg.getByRole('link', { name: 'Open the new run' }).click();
    s.reprocessRunId = page.url().split('/runs/')[1];
    assert.notEqual(s.reprocessRunId, s.firstRunId);
    const lineage = page.getByRole('region', { name: 'Lineage' });
    await lineage.getByText('Reprocess of run').waitFor();
    await lineage.getByRole('link', { name: s.firstRunId }).waitFor();
    await page.locator('h2').filter({ hasText: 'Run of' }).locator('.badge', { hasText: 'Completed' }).waitFor();
    // ... and the source run names it.
    await lineage.getByRole('link', { name: s.firstRunId }).click();
    await page.getByRole('region', { name: 'Lineage' }).getByText('Reprocessed in run').waitFor();
    await page.getByRole('region', { name: 'Lineage' }).getByRole('link', { name: s.reprocessRunId }).waitFor();
    await screenshot(page, 'reprocess-4-lineage');
    assertNoPageErrors(page);
  });

  test('reprocess a run from the Runs view', async () => {
    await page.goto(`${d.url}/#/workflows/${s.wfId}/history/runs`);
    const rows = page.locator('table.data tbody tr');
    await until(async () => (await rows.count()) === 2, '2 runs');
    const first = rows.filter({ hasText: 'On-demand' });
    await first.getByText('Reprocessed in run').waitFor();
    await first.locator('input.row-select').check();
    await page.getByRole('button', { name: 'Reprocess', exact: true }).click();
    const dlg = page.getByRole('dialog', { name: 'Reprocess run' });
    await dlg.getByLabel('All users').check();
    await dlg.getByLabel(/All tasks/).check();
    await dlg.locator('.plan-summary', { hasText: '3 users and 6 tasks will run' }).waitFor();
    await dlg.getByRole('button', { name: 'Confirm' }).click();
    await dlg.getByText('The new run ended: completed.').waitFor({ timeout: UI_TIMEOUT * 3 });
    await dlg.getByRole('button', { name: 'Close', exact: true }).click();
    await until(async () => (await rows.count()) === 3, '3 runs after the reprocess');
    const runs = await d.api('GET', `${LW}/workflows/${s.wfId}/runs/${s.firstRunId}/reprocessedRuns`);
    assert.equal(runs.json.value.length, 2, 'the first run was reprocessed twice');
    await until(async () => (await rows.filter({ hasText: 'Reprocess of run' }).count()) >= 1, 'lineage in the grid');
    await screenshot(page, 'reprocess-5-runs');
    assertNoPageErrors(page);
  });

  test('the audit log lists the reprocess', async () => {
    await page.getByRole('link', { name: 'Audit logs' }).click();
    await page.getByLabel('Activity starts with').fill('Reprocess');
    const rows = page.locator('table.data tbody tr');
    await rows.filter({ hasText: 'Reprocess workflow users' }).first().waitFor();
    await rows.filter({ hasText: 'Reprocess workflow run' }).first().waitFor();
    // One event per reprocess request; each new run also logs its own start and end.
    const requests = rows.filter({ hasText: /Reprocess workflow (users|run)(?! execution)/ });
    await until(async () => (await requests.count()) === 2, 'exactly the two reprocess requests');
    await rows.filter({ hasText: 'Reprocess workflow execution completed' }).first().waitFor();
    await rows.filter({ hasText: 'Reprocess workflow users' }).getByRole('button').click();
    const dlg = page.getByRole('dialog', { name: 'Reprocess workflow users' });
    await dlg.getByText(NAME).waitFor();
    await dlg.getByText(s.reprocessRunId).first().waitFor();
    await screenshot(page, 'reprocess-6-audit');
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
    assertNoPageErrors(page);
  });
});
