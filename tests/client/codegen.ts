import type { CodegenConfig } from '@graphql-codegen/cli';

// Every custom scalar of ../../schema.graphql must be listed here: with
// `strictScalars: true` codegen fails on any scalar that is not mapped, so a
// new scalar in the schema breaks this proof until the client decides its type.
const scalars = {
  // Exact decimals travel as strings (e.g. "89.9"); never as JS numbers.
  Decimal: 'string',
  // A year, quarter or month: "2021", "2021-Q3", "2021-07".
  Period: 'string',
  // ISO 8601 date, e.g. "2020-09-30".
  Date: 'string',
  // RFC 3339 timestamp.
  DateTime: 'string',
  // Any JSON value (audit before/after states).
  JSON: 'unknown',
} as const;

const config: CodegenConfig = {
  overwrite: true,
  schema: '../../schema.graphql',
  documents: ['operations/*.graphql'],
  // An operation that matches no file, or a document invalid against the schema, is an error.
  ignoreNoDocuments: false,
  generates: {
    'generated/graphql.ts': {
      plugins: ['typescript', 'typescript-operations'],
      config: {
        strictScalars: true,
        scalars,
        // Enums as string unions: no runtime code, exhaustive `switch` checks.
        enumsAsTypes: true,
        useTypeImports: true,
        // The client never selects __typename.
        skipTypename: true,
        // A selected nullable field is always present in the response (`T | null`, not
        // `T | null | undefined`); optional input fields stay optional.
        avoidOptionals: { field: true, object: true, inputValue: false, defaultValue: false },
      },
    },
  },
};

export default config;
