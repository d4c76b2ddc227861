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
 *   GATEWAY_MAX_BODY_BYTES           1000000 (larger request bodies: 413 PAYLOAD_TOO_LARGE)
 *   NODE_ENV                         'production' disables GraphiQL and introspection
 *   SUPERGRAPH_PATH                  ./supergraph.graphql
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import {
  createRemoteJwksSigningKeyProvider,
  defineConfig,
  type GatewayPlugin,
} from '@graphql-hive/gateway';
import { type DocumentNode, GraphQLError, Kind, type ValueNode, visit } from 'graphql';

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

const CLOCK_TOLERANCE_SECONDS = 5;

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

/**
 * Why a request is unauthenticated, in `extensions.reason`, so a front end knows what to do:
 * TOKEN_MISSING (sign in), TOKEN_EXPIRED (refresh the token and retry), TOKEN_INVALID (sign in again).
 * The subgraphs answer with the same reasons.
 */
type AuthReason = 'TOKEN_MISSING' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID';

const AUTH_MESSAGES: Record<AuthReason, string> = {
  TOKEN_MISSING: 'Sign in first: no access token was sent (未登录).',
  TOKEN_EXPIRED: 'The access token has expired; refresh it and retry (令牌已过期).',
  TOKEN_INVALID: 'The access token is invalid; sign in again (令牌无效).',
};
const BAD_AUTH_HEADER = "Send the token as 'Authorization: Bearer <token>' (令牌格式错误).";

/** What the token lookup saw, per request (the JWT plugin's own errors do not say). */
const authSeen = new WeakMap<Request, AuthReason>();

function unauthenticated(message: string, reason: AuthReason): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', reason, http: UNAUTHENTICATED_HTTP },
  });
}

/** Expired by its own `exp` claim (read unverified: only to choose the reason of a refusal). */
function looksExpired(token: string): boolean {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload?.exp === 'number' && payload.exp * 1000 < Date.now() - CLOCK_TOLERANCE_SECONDS * 1000;
  } catch {
    return false;
  }
}

/** `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 6750). */
function extractBearerToken({ request }: { request?: Request }) {
  const header = request?.headers.get('authorization');
  if (header == null || header.trim() === '') {
    if (request) authSeen.set(request, 'TOKEN_MISSING');
    return undefined; // -> missing token
  }
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated(BAD_AUTH_HEADER, 'TOKEN_INVALID');
  if (request) authSeen.set(request, looksExpired(match[1]!) ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID');
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
  if (error.extensions?.code === 'REQUEST_ENTITY_TOO_LARGE') return 'PAYLOAD_TOO_LARGE';
  if (error.extensions?.code) return undefined;
  const status = (error.extensions?.http as { status?: number } | undefined)?.status;
  if (status === 401 || JWT_PLUGIN_MESSAGES.has(error.message)) return 'UNAUTHENTICATED';
  if (/^Variable "\$\w+" (got invalid value|of required type|of non-null type)/.test(error.message)) {
    return 'BAD_USER_INPUT';
  }
  if (/^Batching is not (supported|enabled)/i.test(error.message)) return 'BATCHING_NOT_SUPPORTED';
  // graphql-armor validation limits (depth, aliases, directives); the token
  // limit fails during parsing and already carries GRAPHQL_PARSE_FAILED
  if (/^Syntax Error: (Query depth limit|Aliases limit|Directives limit)/.test(error.message)) {
    return 'GRAPHQL_VALIDATION_FAILED';
  }
  return undefined;
}

/** Chinese for the gateway's own English messages ("English (中文)"); subgraph messages already are. */
function bilingual(message: string, code: string): string {
  if (/[\u4e00-\u9fff]/.test(message)) return message;
  const chinese: Record<string, string> = {
    BAD_USER_INPUT: '输入值无效',
    GRAPHQL_VALIDATION_FAILED: '查询语句无效',
    GRAPHQL_PARSE_FAILED: '查询语句无法解析',
    PAYLOAD_TOO_LARGE: '请求过大',
    BATCHING_NOT_SUPPORTED: '不支持批量请求',
    BAD_REQUEST: '请求无效',
    INTERNAL_SERVER_ERROR: '服务器内部错误',
  };
  const note = chinese[code];
  return note ? `${message.replace(/\.$/, '')} (${note}).` : message;
}

/** `start`, `input.signedOn`: the argument a variable feeds (its first use in the document). */
function argumentOfVariable(document: DocumentNode | undefined, name: string): string | undefined {
  let found: string | undefined;
  const search = (node: ValueNode, path: string): void => {
    if (found) return;
    if (node.kind === Kind.VARIABLE && node.name.value === name) found = path;
    else if (node.kind === Kind.OBJECT) for (const f of node.fields) search(f.value, `${path}.${f.name.value}`);
    else if (node.kind === Kind.LIST) node.values.forEach((v, i) => search(v, `${path}[${i}]`));
  };
  if (document) visit(document, { Argument: node => search(node.value, node.name.value) });
  return found;
}

function withCode(error: unknown, request?: Request, document?: DocumentNode): unknown {
  if (!(error instanceof GraphQLError)) return error;
  const own = codeFor(error); // the gateway's own rejections, which come without a code
  const code = own ?? (error.extensions?.code as string | undefined);
  if (!code) return error;
  const extensions: Record<string, unknown> = { ...error.extensions, code };
  let message = error.message;
  if (code === 'UNAUTHENTICATED') {
    const reason = (error.extensions?.reason as string | undefined) ?? (request && authSeen.get(request));
    extensions.reason = reason ?? 'TOKEN_INVALID';
    if (!/[\u4e00-\u9fff]/.test(message)) {
      message = AUTH_MESSAGES[extensions.reason as AuthReason] ?? AUTH_MESSAGES.TOKEN_INVALID;
    }
    if (own) extensions.http = UNAUTHENTICATED_HTTP;
  } else if (own === 'BAD_USER_INPUT') {
    const variable = /^Variable "\$(\w+)"/.exec(message)?.[1];
    const argument = variable ? argumentOfVariable(document, variable) : undefined;
    if (argument) {
      extensions.argumentName = argument;
      extensions.field = argument;
      message = `Invalid value for \`${argument}\`: ${message}`;
    }
    extensions.http = { status: 400 };
  } else if (own === 'PAYLOAD_TOO_LARGE') {
    extensions.http = { status: 413 };
  } else if (own) {
    // 400 for limit violations (graphql-armor throws plain GraphQLErrors, which would otherwise be
    // answered with HTTP 200)
    extensions.http = { status: 400 };
  }
  message = bilingual(message, code);
  if (!own && message === error.message && extensions.reason === error.extensions?.reason) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

/** Literal argument values of the wrong type or format are the caller's input errors too. */
const LITERAL_VALUE_ERROR =
  /^(Int|Float|String|Boolean|ID) cannot represent|^Enum "\w+" cannot represent|^Expected value of type|^Value cannot represent/;

/** The document of each request, to name the argument behind a variable's coercion error. */
const documents = new WeakMap<object, DocumentNode>();

const useErrorCodes = (): GatewayPlugin => ({
  onValidate({ params, context }) {
    if (context && typeof context === 'object') documents.set(context, params.documentAST);
    return ({ result, setResult }) => {
      if (!result.some(e => LITERAL_VALUE_ERROR.test(e.message))) return;
      setResult(
        result.map(error => {
          if (!LITERAL_VALUE_ERROR.test(error.message) || error.extensions?.code) return error;
          const node = error.nodes?.[0];
          let argument: string | undefined;
          if (node) {
            visit(params.documentAST, {
              Argument: arg => {
                const search = (value: ValueNode, path: string): void => {
                  if (argument) return;
                  if (value === node) argument = path;
                  else if (value.kind === Kind.OBJECT) value.fields.forEach(f => search(f.value, `${path}.${f.name.value}`));
                  else if (value.kind === Kind.LIST) value.values.forEach((v, i) => search(v, `${path}[${i}]`));
                };
                search(arg.value, arg.name.value);
              },
            });
          }
          const where = argument ? `Invalid value for \`${argument}\`: ` : '';
          return new GraphQLError(bilingual(`${where}${error.message}`, 'BAD_USER_INPUT'), {
            nodes: error.nodes,
            source: error.source,
            positions: error.positions,
            originalError: error.originalError,
            extensions: {
              ...error.extensions,
              code: 'BAD_USER_INPUT',
              ...(argument ? { argumentName: argument, field: argument } : {}),
              http: { status: 400 },
            },
          });
        }),
      );
    };
  },
  onResultProcess({ result, setResult, request, serverContext }) {
    const document = serverContext && typeof serverContext === 'object' ? documents.get(serverContext) : undefined;
    const patch = (single: any) =>
      single && Array.isArray(single.errors)
        ? { ...single, errors: single.errors.map((e: unknown) => withCode(e, request, document)) }
        : single;
    if (Array.isArray(result)) {
      setResult(result.map(patch));
    } else if (result && typeof result === 'object' && 'errors' in result) {
      setResult(patch(result));
    }
  },
});

/**
 * Refusals the server answers before GraphQL runs (unknown path 404, unsupported content type 415,
 * wrong method 405, …) come with an empty or plain-text body. Every error body is JSON with a code.
 */
const REFUSALS: Record<number, [string, string]> = {
  400: ['BAD_REQUEST', 'The request is malformed (请求无效).'],
  404: ['NOT_FOUND', 'Nothing is served at this path (路径不存在).'],
  405: ['METHOD_NOT_ALLOWED', 'This method is not allowed here (不支持该请求方法).'],
  406: ['NOT_ACCEPTABLE', "Accept 'application/json' or 'application/graphql-response+json' (不支持的响应格式)."],
  413: ['PAYLOAD_TOO_LARGE', 'The request body is too large (请求过大).'],
  415: [
    'UNSUPPORTED_MEDIA_TYPE',
    "Send the operation as JSON with 'content-type: application/json' (请求格式应为 JSON).",
  ],
  431: ['HEADERS_TOO_LARGE', 'The request headers are too large (请求头过大).'],
};

function refusalBody(status: number): string {
  const [code, message] = REFUSALS[status] ?? [
    status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST',
    status >= 500 ? 'Internal server error (服务器内部错误).' : 'The request was refused (请求被拒绝).',
  ];
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

const useJsonRefusals = (): GatewayPlugin => ({
  onResponse({ response, setResponse, fetchAPI }) {
    if (response.status < 400) return;
    const type = response.headers.get('content-type') ?? '';
    if (/json/.test(type) || /text\/html/.test(type)) return; // GraphQL results, GraphiQL
    const headers = new fetchAPI.Headers(response.headers);
    headers.set('content-type', 'application/json; charset=utf-8');
    headers.delete('content-length');
    setResponse(new fetchAPI.Response(refusalBody(response.status), { status: response.status, headers }));
  },
});

/**
 * Like the subgraphs (1 MB): a declared body over the limit is PAYLOAD_TOO_LARGE (413) before it is
 * read. (Yoga's own 25 MB streaming limit still covers chunked bodies; its code is renamed too.)
 */
const MAX_BODY_BYTES = envInt('GATEWAY_MAX_BODY_BYTES', 1_000_000);

const useBodyLimit = (): GatewayPlugin => ({
  onRequestParse({ request }) {
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > MAX_BODY_BYTES) {
      throw new GraphQLError(`The request body is larger than ${MAX_BODY_BYTES} bytes (请求过大).`, {
        extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } },
      });
    }
  },
});

// Node's HTTP parser answers oversized headers (431) and malformed requests (400) itself, with an
// empty body, before any plugin runs: answer them as JSON too.
const originalListen = http.Server.prototype.listen;
http.Server.prototype.listen = function listen(this: http.Server, ...args: unknown[]) {
  if (this.listenerCount('clientError') === 0) {
    this.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
        socket.destroy();
        return;
      }
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = refusalBody(status);
      const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    });
  }
  return (originalListen as (...a: unknown[]) => http.Server).apply(this, args);
} as typeof http.Server.prototype.listen;

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
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
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
  healthCheckEndpoint: '/health', // the same path as Hive Router's
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
    useBodyLimit(),
    useErrorCodes(),
    useJsonRefusals(),
  ],
});
