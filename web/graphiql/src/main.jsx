// GraphiQL for ecoplan, bundled with React and graphql-ws so that it works offline.
// The server (src/http/graphiql.rs) serves the page that loads this bundle.
import { useCallback, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';

const PLACEHOLDER = 'Bearer <paste a token from: ecoplan token issue --role admin>';
const DEFAULT_HEADERS = JSON.stringify({ Authorization: PLACEHOLDER }, null, 2);
const NEED_TOKEN =
  'Every request needs a bearer token: run `ecoplan token issue --role admin` and paste the token into ' +
  'the Headers tab as {"Authorization": "Bearer <token>"}. ' +
  '每个请求都需要令牌：运行 `ecoplan token issue --role admin`，并将令牌粘贴到 Headers 标签页。';
const DEFAULT_QUERY = `# ecoplan's GraphQL API. Put a bearer token into the Headers tab below first.
# 请先在下方 Headers 标签页中填入令牌 (Bearer token)。
{
  tasks {
    totalCount
  }
}
`;

// Queries and mutations go over HTTP, subscriptions over the same path's WebSocket
// (graphql-transport-ws). The toolkit creates the WebSocket client for each subscription with
// `wsConnectionParams` merged with the Headers tab's headers, so `connection_init` carries
// `{"Authorization": "Bearer …"}`, which is what the server reads.
const base = createGraphiQLFetcher({
  url: location.origin + '/graphql',
  subscriptionUrl: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql',
  wsConnectionParams: {},
});

/** The `Authorization` header (any case) of a headers object, or undefined. */
function authorization(headers) {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') return value.trim();
  }
  return undefined;
}

/** Whether the header holds something that can be a token (not the placeholder). */
function looksLikeToken(auth) {
  return typeof auth === 'string' && /^Bearer\s+[^\s<>]+$/i.test(auth);
}

/** The fetcher, which answers for the server while the Headers tab holds no token. */
function makeFetcher() {
  return (params, opts) => {
    if (!looksLikeToken(authorization(opts && opts.headers))) {
      return Promise.resolve({ errors: [{ message: NEED_TOKEN }] });
    }
    return base(params, opts);
  };
}

function App() {
  // A new fetcher makes GraphiQL fetch the schema again: done once a different token has
  // been typed or pasted, so that the Docs appear without pressing "Re-fetch".
  const [generation, setGeneration] = useState(0);
  const fetcher = useMemo(() => makeFetcher(), [generation]);
  const lastToken = useRef(undefined);
  const timer = useRef(undefined);
  const onEditHeaders = useCallback((text) => {
    let auth;
    try {
      auth = authorization(JSON.parse(text || '{}'));
    } catch {
      return; // half-typed JSON
    }
    if (!looksLikeToken(auth) || auth === lastToken.current) return;
    lastToken.current = auth;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setGeneration((g) => g + 1), 300);
  }, []);

  return (
    <GraphiQL
      fetcher={fetcher}
      defaultHeaders={DEFAULT_HEADERS}
      defaultQuery={DEFAULT_QUERY}
      defaultEditorToolsVisibility="headers"
      isHeadersEditorEnabled
      // Never keep a bearer token in the browser's storage: an office computer is shared,
      // and a token lives for weeks. It is pasted again after a reload.
      shouldPersistHeaders={false}
      onEditHeaders={onEditHeaders}
    >
      <GraphiQL.Logo>ecoplan</GraphiQL.Logo>
    </GraphiQL>
  );
}

const root = document.getElementById('graphiql');
root.textContent = '';
createRoot(root).render(<App />);
