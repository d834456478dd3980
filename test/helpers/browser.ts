/**
 * Headless Chromium for the dashboard tests: Debian's `chromium` driven by
 * playwright-core (no browser download), a fresh profile per launch. Without
 * the binary the suite skips loudly; under ATENDER_REQUIRE_SERVICES=1 (CI,
 * where .ci/browser.sh installs it) that is a failure.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { SERVICES_REQUIRED } from './services.js';

export const CHROMIUM_PATH = process.env.ATENDER_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(import.meta.dirname, '..', '..', 'test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const message = `chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium, or run .ci/browser.sh)`;
  if (SERVICES_REQUIRED) throw new Error(`${message}; ATENDER_REQUIRE_SERVICES=1 makes this a failure`);
  console.warn(`\n  !!! SKIPPING DASHBOARD BROWSER TESTS: ${message}. CI runs them.\n`);
  return false;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations seen so far: the dashboard should produce none. */
  consoleErrors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1280, height: 860 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'atender-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: ARGS, viewport, timeout: 30_000 });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  const consoleErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return {
    context,
    page,
    consoleErrors,
    async screenshot(name) {
      const path = join(ARTIFACTS_DIR, name);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core (WCAG 2.0-2.2 A and AA rules) on the page as it is now. Evaluated
 * through the DevTools protocol, so the dashboard's strict CSP stays on.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  // A string, not a function: this file compiles without the DOM library.
  return page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))`) as Promise<AxeViolation[]>;
}
