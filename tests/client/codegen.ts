import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

// Every custom scalar of ../../schema.graphql must be listed here: with
// `strictScalars: true` codegen fails on any scalar that is not mapped, so a
// new scalar in the schema breaks this proof until the client decides its type.
const scalars = {
  // Global object ids (`Node.id`): opaque strings, never numbers.
  ID: 'string',
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
  // A file of a GraphQL multipart request (apollo-upload-client sends File / Blob).
  Upload: 'File | Blob',
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
    // The same operations through the client preset, as an Apollo (or urql) app would
    // generate them: typed documents carrying their hash (`__meta__.hash`), and
    // persisted-documents.json, `{"<sha256 of the document>": "<document>"}`, which is
    // exactly the allow-list format of ECOPLAN_PERSISTED_OPERATIONS_FILE.
    'generated/persisted/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      // Apollo's cache normalizes by `__typename` + `id`: the stored documents must select
      // `__typename` themselves, since the server runs them as listed.
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: {
        strictScalars: true,
        scalars,
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
