// Proves that Apollo Client's InMemoryCache, configured with ./type-policies.mjs, keeps a
// department's screens current after a mutation by normalization alone (no refetchQueries,
// no update function, no cache writes), against a freshly spawned ecoplan server, with no
// Apollo warning printed. Then runs a persisted operation by its hash alone, from the
// manifest that graphql-codegen's client preset generated (../generated/persisted/).
//
// Environment:
//   SERVER_BIN                  the server binary, relative to the repository root
//                               (default target/debug/ecoplan, i.e. ../../target/debug/ecoplan)
//   APOLLO_PROOF_START_TIMEOUT  seconds to wait for GET /livez to answer 200 (default 60)
//
// Exits 0 and prints `apollo cache proof: ok (N requests, 0 cache warnings)` on success.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

import { ecoplanServer } from '../../support/ecoplan-server.mjs';

// Every console.warn / console.error from here on is kept; any one fails the proof. Set up
// before Apollo is loaded, so that nothing it prints escapes.
const realError = console.error.bind(console);
const captured = [];
for (const level of ['warn', 'error']) {
  console[level] = (...args) => {
    // Apollo passes printf-style arguments ("replacing the %s field of a %s object").
    captured.push({ level, text: format(...args) });
  };
}

const { ApolloClient, HttpLink, InMemoryCache, gql } = await import('@apollo/client/core/index.js');
const { createPersistedQueryLink } = await import('@apollo/client/link/persisted-queries/index.js');
const { loadDevMessages, loadErrorMessages } = await import('@apollo/client/dev/index.js');
const { buildSchema, getNamedType, isListType, isNonNullType, isObjectType, parse } = await import('graphql');
const { possibleTypes, typePolicies } = await import('./type-policies.mjs');

// Full warning texts instead of links to go.apollo.dev.
loadDevMessages();
loadErrorMessages();

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const bin = resolve(repoRoot, process.env.SERVER_BIN || 'target/debug/ecoplan');
const manifestPath = resolve(here, '..', 'generated', 'persisted', 'persisted-documents.json');
const startTimeoutMs = Number(process.env.APOLLO_PROOF_START_TIMEOUT || 60) * 1000;

const CODE = 'natural_shoreline_retention_rate';
// A past year of the plan (2021 to the current year): the same answer whatever the clock says.
const PERIOD = '2022';

function fail(message) {
  const err = new Error(message);
  err.expected = true;
  return err;
}

function check(condition, message) {
  if (!condition) throw fail(message);
}

// --- The type policies against the schema --------------------------------------------

/** Fails when schema.graphql has a connection, a Node or an id-less object that the policies miss. */
function checkPoliciesAgainstSchema() {
  const schema = buildSchema(readFileSync(join(repoRoot, 'schema.graphql'), 'utf8'));
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  for (const [root, flag] of [[roots[0], 'queryType'], [roots[1], 'mutationType'], [roots[2], 'subscriptionType']]) {
    check(typePolicies[root.name]?.[flag] === true, `typePolicies.${root.name} must set ${flag}: true`);
  }

  const nodes = schema.getPossibleTypes(schema.getType('Node')).map((t) => t.name).sort();
  const listed = [...possibleTypes.Node].sort();
  check(
    JSON.stringify(nodes) === JSON.stringify(listed),
    `possibleTypes.Node must be the schema's Node types: ${nodes.join(', ')} (listed: ${listed.join(', ')})`,
  );

  const isConnection = (t) => /Connection$/.test(t.name);
  const isEdge = (t) => /Edge$/.test(t.name);
  const problems = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    // Mutation payloads and subscription events are not kept under the root's fields.
    if (type === roots[1] || type === roots[2]) continue;
    for (const field of Object.values(type.getFields())) {
      const named = getNamedType(field.type);
      if (!isObjectType(named)) continue;
      if (isConnection(named)) {
        if (!isConnection(type) && typeof typePolicies[type.name]?.fields?.[field.name]?.merge !== 'function') {
          problems.push(`${type.name}.${field.name} returns ${named.name}: give it relayStylePagination(keyArgs)`);
        }
        continue;
      }
      const inner = isNonNullType(field.type) ? field.type.ofType : field.type;
      if (isListType(inner) || 'id' in named.getFields()) continue;
      // Inside a connection, relayStylePagination keeps edges and pageInfo.
      if (isConnection(type) || isEdge(type)) continue;
      if (typePolicies[named.name]?.merge === undefined) {
        problems.push(`${type.name}.${field.name} returns ${named.name}, which has no id: give ${named.name} { merge: true }`);
      }
    }
  }
  check(problems.length === 0, `the type policies miss parts of schema.graphql:\n  ${problems.join('\n  ')}`);
}

// --- The server ----------------------------------------------------------------------

// Set by startServer(); stopped on the way out, whatever happens.
let server = null;

async function startServer() {
  server = ecoplanServer({
    bin,
    name: 'apollo-proof',
    database: 'apollo.db',
    // The client's generated manifest is the allow-list: the server checks every hash at start.
    env: { ECOPLAN_PERSISTED_OPERATIONS_FILE: manifestPath },
    startTimeoutMs,
  });
  check(existsSync(manifestPath), `no ${manifestPath}: run graphql-codegen first (tests/client/run does)`);
  await server.start();
  const token = await server.issueToken(['--role', 'department', '--unit', 'water_resources_bureau', '--ttl', '1h']);
  return { base: server.base, token };
}

// --- The operations --------------------------------------------------------------------

// A department's home page: its tasks, their indicators and each one's value and verdict.
const DASHBOARD = gql`
  query CacheProofDashboard($period: Period!) {
    tasks(first: 100) {
      totalCount
      edges {
        cursor
        node {
          id
          number
          title
          indicators {
            id
            code
            name
            currentValue(period: $period) {
              id
              value
              revision
              status
            }
            compliance(period: $period) {
              status
              value {
                id
                value
                revision
              }
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

// Another screen, overlapping the dashboard: one indicator (other fields of its verdict) and the viewer.
const INDICATOR = gql`
  query CacheProofIndicator($code: String!, $period: Period!) {
    indicator(code: $code) {
      id
      code
      name
      currentValue(period: $period) {
        id
        value
        revision
        status
      }
      compliance(period: $period) {
        status
        declined
      }
    }
    me {
      id
      role
      unit {
        id
        code
      }
    }
  }
`;

// The report selects what the screens show of the indicator, under the indicator's id: the
// cache then points `currentValue` (and the verdict's value) at the new revision by itself.
const REPORT = gql`
  mutation CacheProofReport($input: ReportIndicatorValueInput!, $period: Period!) {
    reportIndicatorValue(input: $input) {
      value {
        id
        value
        revision
        status
        indicator {
          id
          currentValue(period: $period) {
            id
            value
            revision
            status
          }
          compliance(period: $period) {
            status
            declined
            value {
              id
              value
              revision
            }
          }
        }
      }
    }
  }
`;

function dashboardIndicator(data) {
  check(data?.tasks?.edges, `the dashboard has no tasks: ${JSON.stringify(data)}`);
  const found = data.tasks.edges.flatMap((e) => e.node.indicators).find((i) => i.code === CODE);
  check(found, `${CODE} is not on the water resources bureau's dashboard`);
  return found;
}

/** Reports a value outside Apollo, as another user would before this client starts. */
async function reportDirectly(base, token, value) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: `mutation($input: ReportIndicatorValueInput!) { reportIndicatorValue(input: $input) { value { id revision } } }`,
      variables: { input: { indicatorCode: CODE, period: PERIOD, value } },
    }),
  });
  const body = await res.json();
  check(!body.errors && body.data, `reporting ${CODE} ${PERIOD} = ${value} failed: ${JSON.stringify(body)}`);
  return body.data.reportIndicatorValue.value;
}

/** Waits until a watched query delivers a result that satisfies `ok`. */
function nextResult(observable, ok, what) {
  return new Promise((resolveResult, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(fail(`the watched dashboard never showed ${what}`));
    }, 5_000);
    const sub = observable.subscribe({
      next(result) {
        if (result.data && ok(result.data)) {
          clearTimeout(timer);
          queueMicrotask(() => sub.unsubscribe());
          resolveResult(result.data);
        }
      },
      error(e) {
        clearTimeout(timer);
        reject(e);
      },
    });
  });
}

async function cacheProof(base, token) {
  // Revision 1 exists before the client starts: the mutation below makes revision 2, a new
  // IndicatorValue with a new id, which is the case normalization must get right.
  const first = await reportDirectly(base, token, '60');
  check(first.revision === 1, `expected revision 1 on a fresh database, got ${first.revision}`);

  let requests = 0;
  const countingFetch = (input, init) => {
    requests += 1;
    return fetch(input, init);
  };
  const client = new ApolloClient({
    link: new HttpLink({ uri: `${base}/graphql`, fetch: countingFetch, headers: { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache({ typePolicies, possibleTypes }),
  });

  const vars = { period: PERIOD };
  const dashboard = await client.query({ query: DASHBOARD, variables: vars });
  const before = dashboardIndicator(dashboard.data);
  check(
    before.currentValue?.id === first.id && before.currentValue.value === '60' && before.currentValue.revision === 1,
    `the dashboard should show revision 1 (60): ${JSON.stringify(before.currentValue)}`,
  );

  const screen = await client.query({ query: INDICATOR, variables: { code: CODE, period: PERIOD } });
  check(screen.data.me.role === 'DEPARTMENT' && screen.data.me.unit?.code === 'water_resources_bureau', `me: ${JSON.stringify(screen.data.me)}`);
  check(screen.data.indicator.id === before.id, 'the indicator query and the dashboard disagree on the indicator id');
  check(requests === 2, `expected 2 requests for two queries, counted ${requests}`);

  // The dashboard as a mounted screen would watch it: from the cache, updated in place.
  const watched = client.watchQuery({ query: DASHBOARD, variables: vars, fetchPolicy: 'cache-only' });
  const shown = nextResult(watched, (d) => dashboardIndicator(d).currentValue?.value === '61.5', '61.5');

  const reported = await client.mutate({
    mutation: REPORT,
    variables: { input: { indicatorCode: CODE, period: PERIOD, value: '61.5', expectedRevision: 1 }, period: PERIOD },
  });
  const value = reported.data.reportIndicatorValue.value;
  check(value.revision === 2 && value.value === '61.5' && value.id !== first.id, `unexpected revision: ${JSON.stringify(value)}`);
  check(requests === 3, `expected 3 requests after the mutation, counted ${requests}`);

  await shown;

  // Both screens again, from the cache alone.
  const again = await client.query({ query: DASHBOARD, variables: vars, fetchPolicy: 'cache-only' });
  const after = dashboardIndicator(again.data);
  check(
    after.currentValue?.id === value.id && after.currentValue.value === '61.5' && after.currentValue.revision === 2,
    `the cached dashboard should show revision 2 (61.5): ${JSON.stringify(after.currentValue)}`,
  );
  check(after.compliance.value?.value === '61.5', `the cached verdict should judge 61.5: ${JSON.stringify(after.compliance)}`);
  const screenAgain = await client.query({ query: INDICATOR, variables: { code: CODE, period: PERIOD }, fetchPolicy: 'cache-only' });
  check(screenAgain.data?.indicator?.currentValue?.value === '61.5', `the cached indicator screen: ${JSON.stringify(screenAgain.data)}`);
  check(typeof screenAgain.data.indicator.compliance.declined === 'boolean', 'the two screens\' parts of the verdict were not merged');
  check(requests === 3, `the cache-only reads went to the network: ${requests} requests`);

  client.stop();
  return requests;
}

/** Runs the generated `Me` operation by its hash alone, through Apollo's persisted-query link. */
async function persistedProof(base, token) {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  // ../run has checked that every key is the sha256 of its document; the server has too, at start.
  const entries = Object.entries(manifest);
  const me = entries.find(([, body]) => /^query Me\b/.test(body));
  check(me, 'the manifest has no `Me` operation');
  // What the client preset generates: the document with its hash under __meta__.
  const document = parse(me[1]);
  document.__meta__ = { hash: me[0] };

  const bodies = [];
  const recordingFetch = (input, init) => {
    bodies.push(JSON.parse(init.body));
    return fetch(input, init);
  };
  const client = new ApolloClient({
    link: createPersistedQueryLink({ generateHash: (doc) => doc.__meta__.hash }).concat(
      new HttpLink({ uri: `${base}/graphql`, fetch: recordingFetch, headers: { authorization: `Bearer ${token}` } }),
    ),
    cache: new InMemoryCache({ typePolicies, possibleTypes }),
  });
  const { data } = await client.query({ query: document });
  check(data?.me?.role === 'DEPARTMENT', `persisted Me: ${JSON.stringify(data)}`);
  check(
    bodies.length === 1 && bodies[0].query === undefined && bodies[0].extensions?.persistedQuery?.sha256Hash === me[0],
    `persisted Me should be one request carrying the hash only: ${JSON.stringify(bodies)}`,
  );
  client.stop();
  return entries.length;
}

/** The capture must see Apollo's warning when a policy is missing, or "0 warnings" proves nothing. */
function detectorSelfTest() {
  const before = captured.length;
  const { Compliance, ...withoutCompliance } = typePolicies;
  const cache = new InMemoryCache({ typePolicies: withoutCompliance, possibleTypes });
  const indicator = (compliance) => ({
    __typename: 'QueryRoot',
    indicator: { __typename: 'Indicator', id: 'self-test', code: 'x', name: 'x', currentValue: null, compliance },
    me: { __typename: 'Viewer', id: 'v', role: 'DEPARTMENT', unit: null },
  });
  const query = gql`
    query SelfTest($period: Period!) {
      indicator(code: "x") { id code name currentValue(period: $period) { id value revision status } compliance(period: $period) { status value { id } } }
      me { id role unit { id code } }
    }
  `;
  cache.writeQuery({ query, variables: { period: PERIOD }, data: indicator({ __typename: 'Compliance', status: 'NO_DATA', value: null }) });
  cache.writeQuery({ query: INDICATOR, variables: { code: 'x', period: PERIOD }, data: indicator({ __typename: 'Compliance', status: 'NO_DATA', declined: false }) });
  const caught = captured.splice(before);
  check(
    caught.some((c) => c.text.includes('Cache data may be lost when replacing the compliance field')),
    `without Compliance { merge: true } Apollo should warn, but the capture saw: ${JSON.stringify(caught)}`,
  );
}

async function main() {
  checkPoliciesAgainstSchema();
  const { base, token } = await startServer();
  const requests = await cacheProof(base, token);
  const listed = await persistedProof(base, token);
  const warnings = captured.length;
  check(warnings === 0, `Apollo printed ${warnings} warning(s):\n${captured.map((c) => `  [${c.level}] ${c.text}`).join('\n')}`);
  detectorSelfTest();
  console.log(`apollo cache proof: ok (${requests} requests, ${warnings} cache warnings)`);
  console.log(`persisted operations: ok (${listed} from the generated manifest accepted by the server; Me run by hash alone)`);
}

for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

let code = 0;
try {
  await main();
} catch (e) {
  realError(`apollo cache proof: failed: ${e.expected ? e.message : e.stack || e}`);
  if (captured.length) realError(`--- captured console output ---\n${captured.map((c) => `[${c.level}] ${c.text}`).join('\n')}`);
  const log = server?.log(40);
  if (log) realError(`--- last lines of the server log ---\n${log}`);
  code = 1;
} finally {
  await server?.stop();
}
process.exit(code);
