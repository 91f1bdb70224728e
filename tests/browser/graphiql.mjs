// Drives GraphiQL in headless Chromium against a running ecoplan server (started by ./run):
// every request to a host other than 127.0.0.1 is refused and counted, as on an intranet
// without the internet; any such request, page error or console error fails the test.
//
// Environment (set by ./run):
//   BROWSER_TEST_BASE   the server, e.g. http://127.0.0.1:41234
//   BROWSER_TEST_TOKEN  an admin token from `ecoplan token issue --role admin`
//   BROWSER_TEST_SHOT   where to save the screenshot
//   CHROMIUM            the browser (default /usr/bin/chromium)

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { chromium } from 'playwright-core';

const base = need('BROWSER_TEST_BASE');
const token = need('BROWSER_TEST_TOKEN');
const shot = need('BROWSER_TEST_SHOT');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const timeout = 30_000;

function need(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`browser test: ${name} is not set (run tests/browser/run)`);
    process.exit(2);
  }
  return value;
}

const LOOPBACK = '127.0.0.1';
/** Requests to anywhere but the loopback server: each one fails the test. */
const outside = [];
/** Page errors and console errors: each one fails the test. */
const problems = [];

/** Whether a URL leaves the machine (data:, blob: and about: URLs do not). */
function leaves(url) {
  const u = new URL(url);
  return ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && u.hostname !== LOOPBACK;
}

/** The state of the page when a step fails. */
async function context(page, step, error) {
  const text = await page
    .evaluate(() => document.body?.innerText ?? '')
    .catch(() => '(page unavailable)');
  return `${step}: ${error.message.split('\n')[0]}\n--- page text ---\n${text.slice(0, 2000)}`;
}

const browser = await chromium.launch({
  executablePath,
  args: [
    '--no-sandbox',
    // Belt and braces: nothing but the loopback server resolves, whatever the page asks for.
    `--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE ${LOOPBACK}`,
  ],
});

let failure = null;
let page;
try {
  const browserContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await browserContext.route('**/*', (route) => {
    const url = route.request().url();
    if (leaves(url)) {
      outside.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  await browserContext.routeWebSocket(/.*/, (ws) => {
    if (leaves(ws.url())) {
      outside.push(ws.url());
      return ws.close({ code: 1008, reason: 'offline test' });
    }
    ws.connectToServer();
  });

  page = await browserContext.newPage();
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location()?.url ? ` (${msg.location().url})` : '';
      problems.push(`console error: ${msg.text()}${where}`);
    }
  });

  let step = 'open /graphql';
  try {
    // A navigation sends Accept: text/html, as any browser does.
    const resp = await page.goto(`${base}/graphql`, { waitUntil: 'load' });
    if (!resp || resp.status() !== 200) throw new Error(`GET /graphql answered ${resp?.status()}`);
    const type = resp.headers()['content-type'] ?? '';
    if (!type.startsWith('text/html')) throw new Error(`GET /graphql is ${type}, not text/html`);
    if (await page.getByText("GraphiQL's assets are not built").count()) {
      throw new Error(
        "the server says GraphiQL's assets are not built: build them (npm ci && npm run build in " +
          'web/graphiql); a release binary must then be rebuilt, since it embeds them',
      );
    }
    await page.locator('.graphiql-container').waitFor();
    await page.getByText('ecoplan token issue --role admin').first().waitFor();

    step = "set the token in GraphiQL's header editor";
    const headers = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
    await headers.waitFor();
    const placeholder = await headers.evaluate((el) => el.CodeMirror.getValue());
    if (!placeholder.includes('Authorization')) throw new Error(`the header editor starts with ${placeholder}`);
    await headers.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));
    const typed = await headers.evaluate((el) => el.CodeMirror.getValue());
    if (JSON.parse(typed).Authorization !== `Bearer ${token}`) throw new Error(`the header editor holds ${typed}`);

    step = 'open the Docs explorer';
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    // GraphiQL fetches the schema again once the token is in (src/main.jsx): the root types appear.
    // ecoplan's query root type is `QueryRoot` (async-graphql's default name).
    await docs.getByText('Root Types').waitFor();
    const queryType = docs.locator('a.graphiql-doc-explorer-type-name', { hasText: /^Query(Root)?$/ });
    await queryType.first().waitFor();
    await queryType.first().click();
    await docs.locator('a.graphiql-doc-explorer-field-name', { hasText: /^tasks$/ }).first().waitFor();

    step = 'run { tasks { totalCount } }';
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText('{ tasks { totalCount } }');
    await page.getByRole('button', { name: /^Execute query/ }).click();
    const result = page.locator('.graphiql-response');
    try {
      await page.waitForFunction(
        () => document.querySelector('.graphiql-response')?.innerText.includes('"totalCount": 29'),
        null,
        { timeout },
      );
    } catch {
      throw new Error(`the result pane shows ${JSON.stringify(await result.innerText())}`);
    }
  } catch (e) {
    throw new Error(await context(page, step, e));
  }
} catch (e) {
  failure = e;
}

if (page) {
  try {
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
  } catch (e) {
    problems.push(`screenshot: ${e.message}`);
  }
}
await browser.close();

if (outside.length) {
  console.error(`browser test: ${outside.length} request(s) left the machine (GraphiQL must work offline):`);
  for (const url of outside) console.error(`  ${url}`);
}
for (const p of problems) console.error(`browser test: ${p}`);
if (failure) console.error(`browser test: failed at ${failure.message}`);
if (failure || outside.length || problems.length) {
  console.error(`browser test: FAILED (screenshot ${shot})`);
  process.exit(1);
}
