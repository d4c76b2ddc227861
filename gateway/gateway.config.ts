/**
 * Hive Gateway configuration for the EcoSteward federation gateway.
 *
 * Started with `npm start` (= `hive-gateway supergraph`), which serves
 * `./supergraph.graphql` (produced by `npm run compose`, see mesh.config.ts).
 *
 * Environment (all optional):
 *   GATEWAY_HOST / GATEWAY_PORT      listen address (127.0.0.1 / 4000)
 *   REGISTRY_URL, ARCHIVE_URL, INSPECTION_URL, APPRAISAL_URL, REPORTING_URL
 *                                    override a subgraph URL at runtime (no recompose)
 *   KEYCLOAK_URL                     http://127.0.0.1:8180
 *   KEYCLOAK_REALM                   ecosteward
 *   KEYCLOAK_ISSUER                  ${KEYCLOAK_URL}/realms/${KEYCLOAK_REALM}; comma-separated list allowed
 *   KEYCLOAK_JWKS_URL                ${KEYCLOAK_URL}/realms/${KEYCLOAK_REALM}/protocol/openid-connect/certs
 *   KEYCLOAK_AUDIENCE                ecosteward-api; comma-separated list allowed
 *   NODE_ENV                         'production' disables GraphiQL and introspection
 *   SUPERGRAPH_PATH                  ./supergraph.graphql
 */
import { generateKeyPairSync } from 'node:crypto';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import {
  createRemoteJwksSigningKeyProvider,
  defineConfig,
  type GatewayPlugin,
} from '@graphql-hive/gateway';
import { GraphQLError } from 'graphql';

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

function env(name: string, fallback: string): string {
  const value = process.env[name]?.trim();
  return value ? value : fallback;
}

function envList(name: string, fallback: string): string[] {
  return env(name, fallback)
    .split(',')
    .map(item => item.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number.parseInt(raw, 10);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

const isProduction = process.env.NODE_ENV === 'production';

// ---------------------------------------------------------------------------
// subgraph URL overrides (runtime; the supergraph keeps the composed URLs)
// ---------------------------------------------------------------------------

const SUBGRAPH_URL_ENV: Record<string, string> = {
  registry: 'REGISTRY_URL',
  archive: 'ARCHIVE_URL',
  inspection: 'INSPECTION_URL',
  appraisal: 'APPRAISAL_URL',
  reporting: 'REPORTING_URL',
};

const transportEntries: Record<string, { location: string }> = {};
for (const [subgraph, envName] of Object.entries(SUBGRAPH_URL_ENV)) {
  const url = process.env[envName]?.trim();
  if (url) transportEntries[subgraph] = { location: url };
}

// ---------------------------------------------------------------------------
// JWT (Keycloak)
// ---------------------------------------------------------------------------

const keycloakUrl = env('KEYCLOAK_URL', 'http://127.0.0.1:8180').replace(/\/+$/, '');
const keycloakRealm = env('KEYCLOAK_REALM', 'ecosteward');
const realmUrl = `${keycloakUrl}/realms/${keycloakRealm}`;
const jwksUri = env('KEYCLOAK_JWKS_URL', `${realmUrl}/protocol/openid-connect/certs`);
const issuers = envList('KEYCLOAK_ISSUER', realmUrl);
const audiences = envList('KEYCLOAK_AUDIENCE', 'ecosteward-api');

const remoteJwks = createRemoteJwksSigningKeyProvider({
  jwksUri,
  cache: true,
  cacheMaxAge: 10 * 60 * 1000,
  // bounds JWKS refetches triggered by tokens carrying unknown `kid`s
  rateLimit: true,
  jwksRequestsPerMinute: 30,
  timeout: 5000,
});

// The JWT plugin turns *any* signing-key lookup failure into a masked 500
// ("Authentication is not available at the moment."). A token whose `kid` is
// not in the realm's JWKS is simply an invalid token, so answer with a key
// that can never verify it: the plugin then rejects it as "Unauthenticated".
const neverMatchingKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

async function signingKeyProvider(kid?: string): Promise<string> {
  try {
    return await remoteJwks(kid);
  } catch (err) {
    const name = (err as Error | undefined)?.name;
    if (name === 'SigningKeyNotFoundError' || name === 'JwksRateLimitError') {
      return neverMatchingKey;
    }
    throw err; // Keycloak unreachable etc.: a real server-side failure
  }
}

const UNAUTHENTICATED_HTTP = { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } };

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: UNAUTHENTICATED_HTTP },
  });
}

/** `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 6750). */
function extractBearerToken({ request }: { request?: Request }) {
  const header = request?.headers.get('authorization');
  if (header == null || header.trim() === '') return undefined; // -> missing token
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated('Invalid authorization header, expected "Bearer <token>".');
  return { prefix: 'Bearer', token: match[1]! };
}

/**
 * The JWT plugin rejects with errors that carry only an HTTP status
 * (401 "Unauthenticated" for missing/unverifiable tokens, 400 "Invalid
 * authentication token provided" for undecodable ones). Give all of them
 * `extensions.code = UNAUTHENTICATED` and HTTP 401.
 */
const JWT_PLUGIN_MESSAGES = new Set([
  'Unauthenticated',
  'Invalid authentication token provided',
  'Authentication header was set, but token is missing.',
  'Invalid JWT authentication token prefix.',
]);

/**
 * Give an error code to the gateway's own rejections that come without one.
 * Errors from the subgraphs keep whatever code they carry.
 */
function codeFor(error: GraphQLError): string | undefined {
  if (error.extensions?.code) return undefined;
  const status = (error.extensions?.http as { status?: number } | undefined)?.status;
  if (status === 401 || JWT_PLUGIN_MESSAGES.has(error.message)) return 'UNAUTHENTICATED';
  // graphql-armor validation limits (depth, aliases, directives); the token
  // limit fails during parsing and already carries GRAPHQL_PARSE_FAILED
  if (/^Syntax Error: (Query depth limit|Aliases limit|Directives limit)/.test(error.message)) {
    return 'GRAPHQL_VALIDATION_FAILED';
  }
  return undefined;
}

function withCode(error: unknown): unknown {
  if (!(error instanceof GraphQLError)) return error;
  const code = codeFor(error);
  if (!code) return error;
  // 401 for auth failures; 400 for limit violations (graphql-armor throws
  // plain GraphQLErrors, which would otherwise be answered with HTTP 200)
  const http = code === 'UNAUTHENTICATED' ? UNAUTHENTICATED_HTTP : { status: 400 };
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code, http },
  });
}

const useErrorCodes = (): GatewayPlugin => ({
  onResultProcess({ result, setResult }) {
    const patch = (single: any) =>
      single && Array.isArray(single.errors) ? { ...single, errors: single.errors.map(withCode) } : single;
    if (Array.isArray(result)) {
      setResult(result.map(patch));
    } else if (result && typeof result === 'object' && 'errors' in result) {
      setResult(patch(result));
    }
  },
});

// ---------------------------------------------------------------------------
// config
// ---------------------------------------------------------------------------

export const gatewayConfig = defineConfig({
  supergraph: env('SUPERGRAPH_PATH', './supergraph.graphql'),
  transportEntries,

  host: env('GATEWAY_HOST', '127.0.0.1'),
  port: envInt('GATEWAY_PORT', 4000),

  // --- authentication: every operation needs a valid Keycloak access token
  jwt: {
    signingKeyProviders: [signingKeyProvider],
    tokenLookupLocations: [extractBearerToken],
    tokenVerification: {
      algorithms: ['RS256'],
      issuer: issuers as [string, ...string[]],
      audience: audiences as [string, ...string[]],
      clockTolerance: 5,
    },
    reject: { missingToken: true, invalidToken: true },
    // subgraphs validate the forwarded Authorization header themselves;
    // don't add the decoded payload to subgraph request `extensions`
    forward: { payload: false, token: false },
  },

  // --- headers to subgraphs. `x-request-id` is added by the built-in
  // request-id plugin (client value, or a generated UUID) to every subgraph
  // fetch and echoed on the response; authorization is propagated here.
  requestId: { headerName: 'x-request-id' },
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const headers: Record<string, string> = {};
      const authorization = request.headers.get('authorization');
      if (authorization) headers['authorization'] = authorization;
      return headers;
    },
  },

  // --- observability
  prometheus: {
    endpoint: '/metrics',
    // plugin defaults: request/phase/error metrics + subgraph fetch/execute histograms
    metrics: true,
    labels: { subgraphName: true },
  },
  healthCheckEndpoint: '/healthcheck',
  readinessCheckEndpoint: '/readiness',

  // --- security
  maxDepth: 12,
  maxTokens: 2000,
  blockFieldSuggestions: isProduction,
  batching: false,
  disableIntrospection: isProduction ? {} : undefined,
  graphiql: !isProduction,
  landingPage: !isProduction,
  maskedErrors: true,

  plugins: () => [
    maxAliasesPlugin({ n: 30 }),
    maxDirectivesPlugin({ n: 50 }),
    useErrorCodes(),
  ],
});
