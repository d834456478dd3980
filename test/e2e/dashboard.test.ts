/**
 * The dashboard end to end, as a newcomer uses it after `npm start`: a real
 * `atender serve` on a fresh database, headless Chromium signing in with the
 * printed credentials, generating a key and calling the API with it, rotating,
 * disabling, revoking, reading the audit log; axe-core checks each main screen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AxeViolation, type Browser, axeViolations, chromiumAvailable, launchBrowser } from '../helpers/browser.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

const run = chromiumAvailable();

describe.runIf(run)('dashboard in headless Chromium', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dir: string;
  let admin: { email: string; password: string };
  const a11y: Record<string, AxeViolation[]> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atender-e2e-'));
    server = await startServer({ ATENDER_DATABASE_URL: join(dir, 'atender.db') });
    const banner = /Admin sign-in\s+(\S+)\s+\/\s+(\S+)/.exec(server.output());
    if (!banner) throw new Error(`no admin credentials in the banner:\n${server.output()}`);
    admin = { email: banner[1]!, password: banner[2]! };
    expect(server.output()).toContain(`Dashboard        ${server.url}/`);
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const me = (key: string) => fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
  /** /v1/me for a key expected to work, waiting out the minute budget the usage burst spent. */
  const meAdmitted = async (key: string): Promise<Record<string, unknown>> => {
    for (let attempt = 0; ; attempt++) {
      const res = await me(key);
      if (res.status !== 429 || attempt === 5) {
        expect(res.status).toBe(200);
        return (await res.json()) as Record<string, unknown>;
      }
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after')) * 1000));
    }
  };

  it('signs in, generates a key that works, rotates, disables, revokes and audits it', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in to Atender' }).waitFor();
    a11y['sign-in'] = await axeViolations(page);

    // A wrong password is refused in place.
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), 'Wrong email or password');

    // The right one by keyboard alone: Tab from the email field, Enter to submit.
    await page.getByLabel('Email').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('password');
    await page.keyboard.type(admin.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    // Focus moves to the new screen's heading, where a screen reader starts reading.
    await page.waitForFunction("document.activeElement && document.activeElement.tagName === 'H1'");
    // The two demo keys from the banner, with their badges.
    await page.getByRole('link', { name: 'Demo sandbox key' }).waitFor();
    await page.getByRole('link', { name: 'Demo production key' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(2);
    expect(await page.locator('.badge.env-production').count()).toBe(1);
    a11y['keys list'] = await axeViolations(page);

    // Generate a key.
    await page.getByRole('link', { name: 'Generate key' }).click();
    await page.getByRole('heading', { name: 'Generate an API key' }).waitFor();
    await page.getByLabel('Name').fill('Browser test key');
    await page.getByLabel('Sandbox').check();
    await page.getByRole('checkbox', { name: 'knowledge:read' }).check();
    await page.getByLabel('Rate-limit tier').selectOption('free');
    a11y['generate key'] = await axeViolations(page);
    await browser.screenshot('dashboard-generate-form.png');
    await page.getByRole('button', { name: 'Generate key' }).click();
    await expectText(page.locator('#secret-warning'), "You won't see it again");
    const key = await page.getByLabel('Your new API key').inputValue();
    expect(key).toMatch(/^sa_test_[0-9A-Za-z]{46}$/);
    a11y['key shown once'] = await axeViolations(page);
    await browser.screenshot('dashboard-key-created.png');

    const res = await me(key);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'Browser test key', environment: 'sandbox', scopes: ['knowledge:read'], tier: 'free' });
    // 64 more: the free tier admits 60 a minute, so the last 5 of all 65 are 429s.
    const statuses = [];
    for (let i = 0; i < 64; i++) statuses.push((await me(key)).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);

    // Key detail, where those requests show up on the chart within the usage flush interval.
    await page.getByRole('button', { name: "I've stored it safely" }).click();
    await page.getByRole('heading', { name: 'Browser test key', level: 1 }).waitFor();
    expect(await page.content()).not.toContain(key);
    const stats = page.getByRole('list', { name: 'Requests by status class' });
    for (let deadline = Date.now() + 15_000; !((await stats.textContent().catch(() => '')) ?? '').includes('65 requests'); ) {
      if (Date.now() > deadline) throw new Error(`usage never showed 65 requests: ${await page.locator('.usage-body').textContent()}`);
      await page.waitForTimeout(500);
      await page.getByRole('button', { name: 'Refresh' }).click();
    }
    expect(await stats.textContent()).toContain('60 2xx success');
    expect(await page.locator('#key-last-used').textContent()).not.toBe('Never');
    expect(await page.locator('.stat-alert').textContent()).toBe('5 429 rate limited');
    expect(await page.getByRole('img', { name: /Bar chart of 65 requests per hour.*5 were rate limited/ }).count()).toBe(1);
    await expectText(page.locator('.usage-body table'), 'GET /v1/me');
    await page.waitForFunction("document.querySelector('#usage-chart').width > 0");
    a11y['key detail'] = await axeViolations(page);
    await browser.screenshot('dashboard-usage-chart.png');

    // Edit: grant one more scope; the key has it at once.
    await page.getByText('Edit name, scopes and tier').click();
    await page.getByRole('checkbox', { name: 'knowledge:write' }).check();
    await page.getByLabel('Rate-limit tier').selectOption('standard');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expectText(page.locator('dl.props'), 'knowledge:write');
    expect(await meAdmitted(key)).toMatchObject({ scopes: ['knowledge:read', 'knowledge:write'], tier: 'standard' });

    // Rotate with a one-hour grace: both secrets work, each with its own last use.
    await page.getByLabel('Keep the old key working for').selectOption('3600');
    await page.getByRole('button', { name: 'Rotate key' }).click();
    const rotated = await page.getByLabel('Your new API key').inputValue();
    expect(rotated).not.toBe(key);
    expect(await meAdmitted(key)).toMatchObject({ name: 'Browser test key' });
    expect(await meAdmitted(rotated)).toMatchObject({ name: 'Browser test key' });
    await page.getByRole('button', { name: "I've stored it safely" }).click();
    await page.getByRole('heading', { name: 'Secrets' }).waitFor();
    await expectText(page.locator('table').first(), 'In grace until');
    await browser.screenshot('dashboard-key-detail-grace.png');

    // End the grace: the old secret stops.
    await page.getByRole('button', { name: 'End grace' }).click();
    await page.getByRole('heading', { name: 'End the grace now' }).waitFor({ state: 'detached' });
    expect((await me(key)).status).toBe(401);

    // Disable and enable.
    await page.getByRole('button', { name: 'Disable key' }).click();
    await page.getByRole('button', { name: 'Enable key' }).waitFor();
    expect(((await (await me(rotated)).json()) as { code: string }).code).toBe('api_key_disabled');
    await page.getByRole('button', { name: 'Enable key' }).click();
    await page.getByRole('button', { name: 'Disable key' }).waitFor();
    expect(await meAdmitted(rotated)).toMatchObject({ name: 'Browser test key' });

    // Revoke, with a confirmation that can be cancelled.
    await page.getByRole('button', { name: 'Revoke key…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await meAdmitted(rotated)).toMatchObject({ name: 'Browser test key' });
    await page.getByRole('button', { name: 'Revoke key…' }).click();
    a11y['revoke dialog'] = await axeViolations(page);
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await expectText(page.locator('.title-row .badges'), 'Revoked');
    const revoked = await me(rotated);
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { code: string }).code).toBe('api_key_revoked');

    // The audit log names every step, done by the admin.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.locator('tbody th').first().waitFor();
    const events = await page.locator('tbody th').allTextContents();
    expect(events.slice(0, 7)).toEqual(['Key revoked', 'Key enabled', 'Key disabled', 'Grace ended', 'Key rotated', 'Key changed', 'Key created']);
    expect(await page.locator('tbody td[data-label="Who"]').first().textContent()).toBe(`Admin ${admin.email}`);
    a11y['audit log'] = await axeViolations(page);

    // Phone width: the keys list folds into cards.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('link', { name: 'Browser test key' }).waitFor();
    a11y['keys list (phone)'] = await axeViolations(page);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await browser.screenshot('dashboard-keys-phone.png');

    // Sign out ends the session: the API refuses the old cookie, the app shows sign-in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Atender' }).waitFor();

    // The only failed loads are the 401s of the signed-out session check and the wrong password.
    expect(browser.consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    const found = Object.entries(a11y).filter(([, v]) => v.length > 0);
    expect(found, JSON.stringify(found, null, 2)).toEqual([]);
  });
});

async function expectText(locator: import('playwright-core').Locator, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
}
