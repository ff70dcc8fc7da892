/**
 * The console end to end: `npm start` (which builds the console when needed), a real headless
 * Chromium driven by playwright-core, and what a user does: sign in with a token; create a
 * deployment from the form, start it, see it running, open its URL, read its logs, stop and
 * delete it; dispatch a job run with an environment override and read its output; see a
 * validation error at its field; and, signed in as a non-admin, find no admin pages. Every
 * page is checked with axe-core (no serious or critical violation) and photographed into
 * test-results/console/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalServer } from '../acceptance/support/local-server.ts';
import { waitUntil } from '../support/wait-until.ts';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const SCREENSHOTS = join(REPO, 'test-results', 'console');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The budget for the first load: every file index.html pulls in, gzipped. */
const FIRST_LOAD_BUDGET_BYTES = 300 * 1024;
const SETTLE_MS = 30_000;

const TIMINGS = {
  CASSINI_HEALTH_GRACE_SECONDS: '6',
  CASSINI_PROBE_INTERVAL_MS: '200',
  CASSINI_RESTART_BACKOFF_MS: '200',
};

const DEPLOYMENT_COMMAND = `echo "hello from the console deployment"; node -e 'require("http").createServer((q, s) => s.end("served by " + process.env.GREETING_NAME)).listen(process.env.PORT)'`;

let server: LocalServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let bobToken: string;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe-core violations on the page as it is now. */
async function accessibilityViolations(target: Page): Promise<unknown[]> {
  if (!(await target.evaluate('typeof axe !== "undefined"'))) await target.addScriptTag({ content: axeSource });
  return target.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))`,
  ) as Promise<unknown[]>;
}

/** Checks the page with axe-core and photographs it as `name`. */
async function checkPage(name: string, target: Page = page): Promise<void> {
  await target.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  expect(await accessibilityViolations(target), `accessibility of the ${name} page`).toEqual([]);
}

async function signIn(token: string): Promise<void> {
  await page.goto(server.url + '/');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Resources' }).waitFor();
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install it (Debian: apt-get install chromium; .ci/run does) or set CHROMIUM_PATH. The console's browser tests cannot run without it.`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await LocalServer.start({ env: TIMINGS });
  // The console is built after the API answers (only when its sources changed): wait for its page.
  await vi.waitFor(async () => expect((await fetch(server.url + '/')).status, 'the console page is served').toBe(200), { timeout: 90_000, interval: 250 });
  expect((await server.api('POST', '/api/users', { username: 'bob' })).status).toBe(201);
  bobToken = (await server.api('POST', '/api/users/bob/tokens', {})).json.token;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  // axe-core is injected into the page, which the console's own policy would rightly refuse.
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop('SIGTERM');
  await server?.dispose();
}, 60_000);

describe('the console', () => {
  it('keeps its first load under 300 KB gzipped, from this origin only', () => {
    const dist = join(REPO, 'console', 'dist');
    const index = readFileSync(join(dist, 'index.html'), 'utf8');
    const files = [...index.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(files.every((f) => f.startsWith('/')), `every file index.html loads is local: ${files.join(', ')}`).toBe(true);
    const total = [index, ...files.map((f) => readFileSync(join(dist, f)))].reduce((sum, content) => sum + gzipSync(content).length, 0);

    expect(total).toBeLessThan(FIRST_LOAD_BUDGET_BYTES);
  });

  it('signs in with the admin token into an HttpOnly cookie, never into storage', async () => {
    await page.goto(server.url + '/');
    await checkPage('sign-in');
    await page.getByLabel('API token').fill('cas_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitUntil('a refused token is said at the field', () => page.locator('#token-error').textContent(), (text) => (text ?? '').includes('not valid'));

    await signIn(server.adminToken);

    const cookies = await context.cookies(server.url);
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['cassini_session', true, 'Strict']]);
    expect(await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie')).not.toContain(server.adminToken);
    await checkPage('resources-empty');
  });

  it('shows a validation error at the field the API names, and creates nothing', async () => {
    await page.goto(server.url + '/#/new');
    await page.getByRole('radio', { name: 'deployment' }).check();
    await page.getByRole('textbox', { name: 'Name' }).fill('Bad_Name');
    await page.getByRole('textbox', { name: 'Command' }).fill('true');
    await page.getByRole('button', { name: 'Create deployment' }).click();

    const error = page.locator('[data-field="name"] .field-error');
    await error.waitFor();
    expect(await error.textContent()).toBeTruthy();
    expect(await page.getByRole('textbox', { name: 'Name' }).getAttribute('aria-invalid')).toBe('true');
    await checkPage('create-validation-error');
    expect((await server.api('GET', '/api/recipes')).json.recipes).toEqual([]);
  });

  it('creates a deployment from the form, starts it, opens it, reads its logs, stops and deletes it', async () => {
    await page.goto(server.url + '/#/new');
    await page.getByRole('radio', { name: 'deployment' }).check();
    await page.getByRole('textbox', { name: 'Name' }).fill('hello');
    await page.getByRole('textbox', { name: 'Command' }).fill(DEPLOYMENT_COMMAND);
    await page.getByLabel('Environment variables').fill('GREETING_NAME=cassini');
    await checkPage('create-form');
    await page.getByRole('button', { name: 'Create deployment' }).click();
    await page.getByRole('heading', { name: 'hello' }).waitFor();

    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.locator('.status-line [data-status="running"]').waitFor({ timeout: SETTLE_MS });
    await checkPage('deployment-running');

    const [app] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Open', exact: true }).click()]);
    await app.waitForLoadState();
    const body = async () => {
      if ((await app.textContent('body').catch(() => '')) !== 'served by cassini') await app.reload();
      return app.textContent('body').catch(() => '');
    };
    await waitUntil(`the app answers through the proxy, signed in (at ${app.url()})`, body, (value) => value === 'served by cassini', SETTLE_MS);
    expect(app.url()).not.toContain('token=');
    await app.close();

    await page.getByRole('tab', { name: 'Logs' }).click();
    await waitUntil('the replica log is shown', () => page.getByTestId('log-view').textContent(), (text) => (text ?? '').includes('hello from the console deployment'), SETTLE_MS);
    await page.getByLabel('Search').fill('no such line');
    await waitUntil('search filters the lines', () => page.getByTestId('log-view').textContent(), (value) => value === 'No line matches.');
    await page.getByLabel('Search').fill('');
    await checkPage('deployment-logs');

    await page.getByRole('tab', { name: 'Events' }).click();
    await page.locator('.timeline li').first().waitFor();
    expect(await page.locator('.timeline').textContent()).toContain('by admin');
    await checkPage('deployment-events');

    await page.getByRole('tab', { name: 'Recipe' }).click();
    await page.getByRole('tab', { name: 'YAML' }).click();
    expect(await page.getByLabel('Recipe (YAML)').inputValue()).toContain('name: hello');
    await checkPage('deployment-recipe-yaml');

    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.locator('.status-line [data-status="stopped"]').waitFor({ timeout: SETTLE_MS });
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await checkPage('deployment-delete-confirm');
    await page.getByRole('button', { name: 'Delete hello' }).click();
    await page.getByRole('heading', { name: 'Resources' }).waitFor();
    await waitUntil('the deployment is gone', async () => (await server.api('GET', '/api/recipes')).json.recipes.length, (value) => value === 0);
  }, 90_000);

  it('dispatches a job run with an environment override and reads its output', async () => {
    const job = await server.api('PUT', '/api/recipes', { schema_version: '2025.10.01', type: 'job', spec: { name: 'greet', command: 'echo "greeting=$GREETING"', environment_variables: { GREETING: 'default' }, schedule: '0 6 * * *', schedule_timezone: 'Europe/Paris' } });
    expect(job.status, job.text).toBe(201);
    await page.goto(server.url + '/#/resources');
    await page.getByRole('link', { name: 'greet' }).click();
    await page.getByText('Next runs (Europe/Paris)').waitFor();
    await checkPage('job-overview');

    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.getByLabel('Environment overrides').fill('GREETING=from-the-console');
    await page.getByRole('button', { name: 'Dispatch run' }).click();
    await page.locator('tr[data-run] [data-status="succeeded"]').waitFor({ timeout: SETTLE_MS });
    await checkPage('job-runs');

    await page.getByRole('tab', { name: 'Logs' }).click();
    await waitUntil("the run's output is shown", () => page.getByTestId('log-view').textContent(), (text) => (text ?? '').includes('greeting=from-the-console'), SETTLE_MS);
  });

  it('shows the catalog and the admin pages to the admin', async () => {
    await page.goto(server.url + '/#/catalog');
    await page.getByRole('heading', { name: 'Catalog' }).waitFor();
    await checkPage('catalog');
    await page.goto(server.url + '/#/tokens');
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await checkPage('tokens');
    await page.goto(server.url + '/#/admin/users');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await checkPage('admin-users');
    await page.goto(server.url + '/#/admin/iam-roles');
    await page.getByRole('heading', { name: 'IAM roles' }).waitFor();
    await checkPage('admin-iam-roles');
  });

  it('offers a non-admin no admin page, and the API refuses them the admin routes anyway', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    await signIn(bobToken);

    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Resources', 'New', 'Catalog', 'Tokens']);
    await page.goto(server.url + '/#/admin/users');
    await page.getByText('There is no such page.').waitFor();
    const refused = await page.evaluate(`fetch('/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"mallory","admin":true}' }).then((r) => r.status)`);
    expect(refused).toBe(403);
    await checkPage('non-admin');
  });

  it('is usable from the keyboard: sign-in with Enter, tabs with the arrow keys', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').focus();
    await page.keyboard.type(bobToken);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const job = await server.api('PUT', '/api/recipes', { schema_version: '2025.10.01', type: 'job', spec: { name: 'keys', owner: 'bob', command: 'true' } });
    expect(job.status, job.text).toBe(201);
    await page.goto(`${server.url}/#/resources/job/${job.json.state.id}`);

    await page.getByRole('tab', { name: 'Overview' }).focus();
    await page.keyboard.press('ArrowRight');

    const runs = page.getByRole('tab', { name: 'Runs' });
    expect(await runs.getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate('document.activeElement.id'), 'focus follows the selected tab').toBe('tab-runs');
    await page.keyboard.press('End');
    expect(await page.getByRole('tab', { name: 'Recipe' }).getAttribute('aria-selected')).toBe('true');
  });

  it('is usable 375 px wide', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(server.url + '/#/resources');
    await page.getByRole('heading', { name: 'Resources' }).waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow, 'no sideways scrolling at 375 px').toBeLessThanOrEqual(0);
    await checkPage('resources-375px');
  });
});
