// Apollo Client 3 cache configuration for ecoplan's schema (../../../schema.graphql).
// cache-proof.mjs runs it against a real server, and checks it against the schema:
// every connection field has a policy, possibleTypes lists every Node, and every id-less
// object stored under a field is merged rather than replaced.
//
//   const cache = new InMemoryCache({ typePolicies, possibleTypes });
//
// Entities need no keyFields: every one has `id: ID!` (a global id, unique across types),
// so Apollo's default `__typename:id` normalizes them.
import { relayStylePagination } from '@apollo/client/utilities/index.js';

export const typePolicies = {
  // The server's root types are QueryRoot, MutationRoot and SubscriptionRoot, not
  // Query/Mutation/Subscription: say so, or `__typename` and fragments on them miss the
  // policies below.
  QueryRoot: {
    queryType: true,
    fields: {
      // Relay connections: pages (`first`/`after`) are merged into one list per filter.
      tasks: relayStylePagination(['filter']),
      indicators: relayStylePagination(['filter']),
      auditEvents: relayStylePagination(['filter']),
      assessments: relayStylePagination(['year', 'filter']),
      changes: relayStylePagination(['since']),
    },
  },
  MutationRoot: { mutationType: true },
  SubscriptionRoot: { subscriptionType: true },
  Indicator: {
    fields: {
      values: relayStylePagination(['period']),
    },
  },
  // Objects without an id, stored inside the field that returned them (keyed by its
  // arguments, e.g. `compliance({"period":"2022"})`): two queries selecting different
  // fields of the same verdict must add up, not replace each other.
  Compliance: { merge: true },
  ComplianceSummary: { merge: true },
  ComplianceCounts: { merge: true },
};

// `... on Indicator` inside `node(id:)` / `nodes(ids:)` is matched by __typename; a
// fragment on the interface itself (`... on Node`) needs the list.
export const possibleTypes = {
  Node: [
    'Assessment',
    'AuditEvent',
    'Domain',
    'EvidenceFile',
    'ImportRun',
    'Indicator',
    'IndicatorValue',
    'Plan',
    'ScoringScheme',
    'Section',
    'SuperiorTarget',
    'Task',
    'TaskProgress',
    'Unit',
    'Viewer',
  ],
};
