// Runs the graphql-http GraphQL-over-HTTP audit suite against a freshly spawned ecoplan server.
//
// Environment:
//   SERVER_BIN          the server binary (default: target/debug/ecoplan under the repository root)
//   AUDIT_START_TIMEOUT  seconds to wait for GET /livez to answer 200 (default: 60)
//   AUDIT_VERBOSE=1      also list the audits that passed
//
// Exits 0 when no audit has status `error`, 1 otherwise (and when the server cannot be started).

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { auditServer } from 'graphql-http';

import { ecoplanServer } from '../support/ecoplan-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const bin = resolve(repoRoot, process.env.SERVER_BIN || 'target/debug/ecoplan');
const startTimeoutMs = Number(process.env.AUDIT_START_TIMEOUT || 60) * 1000;
const verbose = process.env.AUDIT_VERBOSE === '1';

// Set by main(); stopped on the way out, whatever happens.
let server = null;

async function main() {
  server = ecoplanServer({ bin, name: 'http-audit', database: 'audit.db', startTimeoutMs });
  await server.start();
  const base = server.base;
  const token = await server.issueToken(['--role', 'admin', '--ttl', '1h']);

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

let code;
try {
  code = await main();
} catch (e) {
  console.error(`graphql-http audit: failed: ${e.expected ? e.message : e.stack || e}`);
  const log = server?.log(40);
  if (log) console.error(`--- last lines of the server log ---\n${log}`);
  code = 1;
} finally {
  await server?.stop();
}
process.exit(code);
