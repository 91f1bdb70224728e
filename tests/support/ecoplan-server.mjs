// Starts a throwaway ecoplan server for the Node.js test scripts (tests/http-audit/audit.mjs,
// tests/client/apollo/cache-proof.mjs). Node.js built-ins only: it is imported by path, from
// directories with their own node_modules, and needs no package.json of its own.
//
//   const server = ecoplanServer({ bin, name: 'http-audit', database: 'audit.db' }); // throws if no binary
//   await server.start();            // free 127.0.0.1 port, temp dir, `ecoplan serve`, GET /livez = 200
//   const token = await server.issueToken(['--role', 'admin', '--ttl', '1h']);
//   fetch(`${server.base}/graphql`, …);
//   await server.stop();             // SIGTERM (SIGKILL after 10 s), temp dir removed; safe to repeat
//
// The handle exists before start() so that a script can always stop the server and print
// server.log(), also after a failed start. On SIGINT or SIGTERM every server created here is
// stopped and the process exits with 130. Errors thrown for an expected reason
// (no binary, early exit, no /livez, token issue failed) carry `expected = true`: print their
// message without a stack.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(message) {
  const err = new Error(message);
  err.expected = true;
  return err;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((ok, bad) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', bad);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

// Every server not stopped yet. On SIGINT or SIGTERM all are stopped (and their temp dirs
// removed) before the process exits with 130, as an interrupted script should.
const live = new Set();
let signalsHandled = false;

function stopOnSignals() {
  if (signalsHandled) return;
  signalsHandled = true;
  let exiting = false;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      if (exiting) return;
      exiting = true;
      await Promise.all([...live].map((server) => server.stop()));
      process.exit(130);
    });
  }
}

/**
 * An ecoplan server, not started yet. Throws (expected) when `bin` does not exist.
 *
 * @param {object} options
 * @param {string} options.bin             the server binary (an absolute path)
 * @param {string} options.name            names the temp dir: ecoplan-<name>-XXXXXX
 * @param {string} [options.database]      the SQLite file in the temp dir (default <name>.db)
 * @param {Record<string, string>} [options.env]  more environment for `serve` and `token issue`
 * @param {number} [options.startTimeoutMs] how long to wait for GET /livez = 200 (default 60 s)
 */
export function ecoplanServer({ bin, name, database = `${name}.db`, env: extraEnv = {}, startTimeoutMs = 60_000 }) {
  if (!existsSync(bin)) {
    throw fail(`no server binary at ${bin}: build it first (cargo build) or set SERVER_BIN`);
  }

  let child = null;
  let childExited = null; // resolves once the server process is gone (or could not be spawned)
  let done = false;
  let workDir = null;
  let base = null;
  let env = null;
  let log = '';

  const keep = (chunk) => {
    log += chunk.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };

  async function waitForLive() {
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (done) throw fail(`the server exited early (code ${child.exitCode}, signal ${child.signalCode})`);
      try {
        const res = await fetch(`${base}/livez`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer().catch(() => {});
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() >= deadline) {
        throw fail(`the server did not answer GET /livez with 200 within ${startTimeoutMs / 1000} s`);
      }
      await sleep(250);
    }
  }

  const server = {
    /** http://127.0.0.1:<port>, once started. */
    get base() {
      return base;
    },
    /** The environment the server runs with (process.env plus its own), once started. */
    get env() {
      return env;
    },
    /** The temp dir (the server's cwd and database), until stopped. */
    get workDir() {
      return workDir;
    },
    /** Whether the server process is gone (or could not be spawned). */
    get exited() {
      return done;
    },
    /** The server's stdout and stderr so far (the last 100 to 200 kB), or only its last `lines` lines. */
    log(lines) {
      return lines === undefined ? log : log.split('\n').slice(-lines).join('\n');
    },

    /** Spawns `ecoplan serve` and waits until GET /livez answers 200. */
    async start() {
      workDir = mkdtempSync(join(tmpdir(), `ecoplan-${name}-`));
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      env = {
        ...process.env,
        DATABASE_URL: `sqlite://${join(workDir, database)}?mode=rwc`,
        ECOPLAN_BIND: `127.0.0.1:${port}`,
        ECOPLAN_JWT_SECRET: randomBytes(32).toString('hex'),
        ECOPLAN_ENV: 'development',
        // Keep a stray ecoplan.toml (in the repository or elsewhere) out of the run.
        ECOPLAN_CONFIG: join(workDir, 'absent.toml'),
        ...extraEnv,
      };

      // The server creates and migrates the database; `token issue` needs it to exist.
      child = spawn(bin, ['serve'], { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      childExited = new Promise((ok) => {
        const gone = () => {
          done = true;
          ok();
        };
        child.once('exit', gone);
        child.once('error', (e) => {
          log += `\nspawn error: ${e.message}\n`;
          if (child.pid === undefined) gone();
        });
      });
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);

      await waitForLive();
    },

    /** `ecoplan token issue <args>` against the server's database and secret: the token. */
    async issueToken(args) {
      let token;
      try {
        const { stdout } = await promisify(execFile)(bin, ['token', 'issue', ...args], {
          cwd: workDir,
          env,
          timeout: 30_000,
        });
        token = stdout.trim();
      } catch (e) {
        throw fail(`ecoplan token issue failed: ${(e.stderr || e.message).trim()}`);
      }
      if (!token || /\s/.test(token)) throw fail(`ecoplan token issue printed no single token: ${JSON.stringify(token)}`);
      return token;
    },

    /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes the temp dir. */
    async stop() {
      if (child && !done) {
        child.kill('SIGTERM');
        const gone = await Promise.race([childExited.then(() => true), sleep(10_000).then(() => false)]);
        if (!gone) {
          child.kill('SIGKILL');
          await childExited;
        }
      }
      if (workDir) {
        rmSync(workDir, { recursive: true, force: true });
        workDir = null;
      }
      live.delete(server);
    },
  };
  live.add(server);
  stopOnSignals();
  return server;
}
