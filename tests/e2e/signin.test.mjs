// SPDX-License-Identifier: MIT
// Sign in (issue 6): "Access token" + "Sign in"; a wrong token shows the
// API's message next to the field; the token lives in sessionStorage only
// (this tab); every page shows who is signed in and their role; "Sign out".

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, stopServer, launchBrowser, openPage, screenshot, assertNoPageErrors, ROLES,
} from './lib/harness.mjs';

describe('admin center: sign in', () => {
  let d;
  let browser;
  let page;
  before(async () => {
    d = await startServer();
    browser = await launchBrowser();
    page = await openPage(browser, { width: 800 });
  });
  after(async () => {
    if (browser) await browser.close();
    await stopServer(d);
  });

  test('a wrong token is refused with the API message; a right one signs in; Sign out forgets it', async () => {
    const admin = await d.token(ROLES.LCWA, 'jml-admin');
    await page.goto(`${d.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Access token').fill('lcw_not_a_real_token_000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /token/i }).waitFor();
    assert.equal(await page.getByLabel('Access token').getAttribute('aria-invalid'), 'true');

    await page.getByLabel('Access token').fill(admin);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Workflows' }).waitFor();
    assert.equal(await page.locator('.who-name').textContent(), 'jml-admin');
    assert.equal(await page.locator('.who-role').textContent(), 'Lifecycle Workflows Administrator');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('lcw.token')), admin);
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
    // Every page keeps showing who is signed in.
    for (const name of ['Deleted workflows', 'Custom task extensions', 'Settings', 'Audit logs', 'Insights', 'Workflows']) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { level: 1, name }).waitFor();
      assert.equal(await page.locator('.who-role').textContent(), 'Lifecycle Workflows Administrator');
    }
    // A reload keeps the session (same tab) ...
    await page.reload();
    await page.locator('.who-name').waitFor();
    // ... a new tab does not.
    const other = await page.context().newPage();
    await other.goto(`${d.url}/`);
    await other.getByLabel('Access token').waitFor();
    await other.close();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('lcw.token')), null);
    await screenshot(page, 'signin-signed-out-800px');
    assertNoPageErrors(page);
  });
});
