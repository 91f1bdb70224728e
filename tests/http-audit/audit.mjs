// Runs the graphql-http GraphQL-over-HTTP audit suite against a freshly spawned ecoplan server.
//
// Environment:
//   SERVER_BIN          the server binary (default: target/debug/ecoplan under the repository root)
//   AUDIT_START_TIMEOUT  seconds to wait for GET /livez to answer 200 (default: 60)
//   AUDIT_VERBOSE=1      also list the audits that passed
//
// Exits 0 when no audit has status `error`, 1 otherwise (and when the server cannot be started).

import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { auditServer } from 'graphql-http';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const bin = resolve(repoRoot, process.env.SERVER_BIN || 'target/debug/ecoplan');
const startTimeoutMs = Number(process.env.AUDIT_START_TIMEOUT || 60) * 1000;
const verbose = process.env.AUDIT_VERBOSE === '1';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

// State shared with cleanup().
let server = null;
let serverExited = null; // resolves once the server process is gone (or could not be spawned)
let serverDone = false;
let workDir = null;
let serverLog = '';

function tailOfLog(lines = 40) {
  return serverLog.split('\n').slice(-lines).join('\n');
}

async function stopServer() {
  if (!server || serverDone) return;
  server.kill('SIGTERM');
  const gone = await Promise.race([serverExited.then(() => true), sleep(10_000).then(() => false)]);
  if (!gone) {
    server.kill('SIGKILL');
    await serverExited;
  }
}

async function cleanup() {
  await stopServer();
  if (workDir) {
    rmSync(workDir, { recursive: true, force: true });
    workDir = null;
  }
}

function fail(message) {
  const err = new Error(message);
  err.expected = true;
  return err;
}

async function waitForLive(base) {
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (serverDone) {
      throw fail(`the server exited early (code ${server.exitCode}, signal ${server.signalCode})`);
    }
    try {
      const res = await fetch(`${base}/livez`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer().catch(() => {});
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw fail(`the server did not answer GET /livez with 200 within ${startTimeoutMs / 1000} s`);
}

async function main() {
  if (!existsSync(bin)) {
    throw fail(`no server binary at ${bin}: build it first (cargo build) or set SERVER_BIN`);
  }

  workDir = mkdtempSync(join(tmpdir(), 'ecoplan-http-audit-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${join(workDir, 'audit.db')}?mode=rwc`,
    ECOPLAN_BIND: `127.0.0.1:${port}`,
    ECOPLAN_JWT_SECRET: randomBytes(32).toString('hex'),
    ECOPLAN_ENV: 'development',
    // Keep a stray ecoplan.toml (in the repository or elsewhere) out of the run.
    ECOPLAN_CONFIG: join(workDir, 'absent.toml'),
  };

  server = spawn(bin, ['serve'], { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  serverExited = new Promise((ok) => {
    const done = () => {
      serverDone = true;
      ok();
    };
    server.once('exit', done);
    server.once('error', (e) => {
      serverLog += `\nspawn error: ${e.message}\n`;
      if (server.pid === undefined) done();
    });
  });
  const keep = (chunk) => {
    serverLog += chunk.toString();
    if (serverLog.length > 200_000) serverLog = serverLog.slice(-100_000);
  };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);

  await waitForLive(base);

  let token;
  try {
    const { stdout } = await promisify(execFile)(bin, ['token', 'issue', '--role', 'admin', '--ttl', '1h'], {
      cwd: workDir,
      env,
      timeout: 30_000,
    });
    token = stdout.trim();
  } catch (e) {
    throw fail(`ecoplan token issue failed: ${(e.stderr || e.message).trim()}`);
  }
  if (!token || /\s/.test(token)) throw fail(`ecoplan token issue printed no single token: ${JSON.stringify(token)}`);

  // Every GraphQL request needs the bearer token; the audits set their own headers otherwise.
  const fetchFn = (input, init = {}) => {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };

  const results = await auditServer({ url: `${base}/graphql`, fetchFn });

  const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  console.log(
    `graphql-http audit: ${counts.ok} ok, ${counts.notice} notice, ${counts.warn} warn, ${counts.error} error (${results.length} audits)`,
  );

  const order = { error: 0, warn: 1, notice: 2, ok: 3 };
  const shown = results
    .filter((r) => verbose || r.status !== 'ok')
    .sort((a, b) => order[a.status] - order[b.status]);
  for (const r of shown) {
    console.log(`  [${r.status}] ${r.id} ${r.name}`);
    if (r.status === 'ok') continue;
    console.log(`      reason: ${r.reason}`);
    if (r.response) {
      let body = '';
      try {
        body = await r.response.clone().text();
      } catch {
        body = '(body already read)';
      }
      if (body.length > 300) body = `${body.slice(0, 300)}…`;
      const ct = r.response.headers.get('content-type') ?? '-';
      console.log(`      response: ${r.response.status} ${ct} ${body}`.trimEnd());
    }
  }

  return counts.error > 0 ? 1 : 0;
}

// A closed pipe (e.g. `| head`) must not skip the cleanup below.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

let exiting = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (exiting) return;
    exiting = true;
    await cleanup();
    process.exit(130);
  });
}

let code;
try {
  code = await main();
} catch (e) {
  console.error(`graphql-http audit: failed: ${e.expected ? e.message : e.stack || e}`);
  if (serverLog) console.error(`--- last lines of the server log ---\n${tailOfLog()}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
