// SPDX-License-Identifier: MIT
// A Global Reader (issue 6): sees workflows, history, runs, users, settings
// and audit, but no Reprocess button and no write action anywhere.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, stopServer, launchBrowser, openPage, signIn, screenshot, assertNoPageErrors, until, ROLES,
} from './lib/harness.mjs';

const LW = '/v1.0/identityGovernance/lifecycleWorkflows';
const TEMPLATE = '4e06785d-7c1d-4b24-b9e1-bba2b890c58b'; // Onboard new hire employee
const WRITE_BUTTONS = /^(Reprocess.*|Cancel run|Create workflow|Edit.*|Enable|Disable|Delete.*|Turn scheduling.*|Run workflow|Restore|Save|Approve execution|Create custom task extension|Confirm)$/;

describe('admin center: Global Reader', () => {
  let d;
  let browser;
  let page;
  let wfId;
  let runId;
  before(async () => {
    d = await startServer({ demo: true }); // no SMTP configured: the welcome email fails
    const tpl = (await d.api('GET', `${LW}/workflowTemplates/${TEMPLATE}`)).json;
    const wf = await d.api('POST', `${LW}/workflows`, {
      body: {
        displayName: 'Reader sees this', category: tpl.category, isEnabled: true, isSchedulingEnabled: false,
        executionConditions: tpl.executionConditions,
        tasks: tpl.tasks.map((t) => ({ displayName: t.displayName, taskDefinitionId: t.taskDefinitionId, isEnabled: t.isEnabled, continueOnError: t.continueOnError, arguments: t.arguments })),
      },
    });
    assert.equal(wf.status, 201, wf.text);
    wfId = wf.json.id;
    const users = (await d.api('GET', '/v1.0/users?$top=2&$select=id')).json.value;
    const run = await d.api('POST', `${LW}/workflows/${wfId}/activate`, { body: { subjects: users.map((u) => ({ id: u.id })) } });
    assert.equal(run.status, 204, run.text);
    runId = run.headers.get('location').split('/runs/')[1];
    await until(async () => ['failed', 'completed', 'completedWithErrors'].includes((await d.api('GET', `${LW}/workflows/${wfId}/runs/${runId}`)).json.processingStatus), 'the run to end');
    browser = await launchBrowser();
    page = await openPage(browser, { width: 1280 });
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(d);
  });

  /** The visible buttons and button-like links whose name is a write action. */
  async function writeActions() {
    const names = await page.locator('button:visible, a.button:visible').evaluateAll((els) => els.map((e) => e.textContent.trim()));
    return names.filter((n) => WRITE_BUTTONS.test(n));
  }

  test('no Reprocess button and no write action on any page', async () => {
    const reader = await d.token(ROLES.GR, 'auditor');
    await signIn(page, d, reader);
    assert.equal(await page.locator('.who-role').textContent(), 'Global Reader');
    const pages = [
      ['#/workflows', () => page.getByRole('link', { name: 'Reader sees this' }).waitFor()],
      [`#/workflows/${wfId}`, () => page.getByRole('heading', { level: 1, name: 'Reader sees this' }).waitFor()],
      [`#/workflows/${wfId}/history/users`, () => page.locator('table.data tbody tr').first().waitFor()],
      [`#/workflows/${wfId}/history/runs`, () => page.locator('table.data tbody tr').first().waitFor()],
      [`#/workflows/${wfId}/history/tasks`, () => page.locator('table.data tbody tr').first().waitFor()],
      [`#/workflows/${wfId}/runs/${runId}`, () => page.locator('table.data tbody tr').first().waitFor()],
      ['#/deleted', () => page.getByRole('heading', { level: 1, name: 'Deleted workflows' }).waitFor()],
      ['#/extensions', () => page.getByRole('heading', { level: 1, name: 'Custom task extensions' }).waitFor()],
      ['#/settings', () => page.getByText('Your role can read the settings but not change them.').waitFor()],
      ['#/audit', () => page.locator('table.data tbody tr').first().waitFor()],
    ];
    for (const [hash, ready] of pages) {
      await page.goto(`${d.url}/${hash}`);
      await ready();
      await page.waitForLoadState('networkidle');
      assert.deepEqual(await writeActions(), [], `write actions offered on ${hash}`);
    }
    // No way to pick rows for a reprocess, and no "Run on demand" tab.
    await page.goto(`${d.url}/#/workflows/${wfId}/history/users`);
    await page.locator('table.data tbody tr').first().waitFor();
    assert.equal(await page.locator('input.row-select').count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Run on demand' }).count(), 0);
    // A processed user's page: the failure is visible, Reprocess is not.
    await page.locator('table.data tbody tr').first().getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Task results' }).waitFor();
    assert.deepEqual(await writeActions(), []);
    await page.setViewportSize({ width: 800, height: 900 });
    await page.goto(`${d.url}/#/workflows/${wfId}/history/users`);
    await page.locator('table.data tbody tr').first().waitFor();
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'reader-history-users-800px');
    assertNoPageErrors(page);
  });
});
