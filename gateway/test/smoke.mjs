// Self-contained smoke test of the gateway configuration.
//
//   node --test gateway/test/        (after `npm ci` in gateway/)
//
// It composes a supergraph from fixture SDLs (strawberry-style, Federation
// 2.7) with the real mesh.config.ts, starts fake subgraphs and a fake Keycloak
// JWKS endpoint, then runs the real `hive-gateway` CLI with gateway.config.ts
// (dev and production mode) and checks auth, header propagation, limits,
// metrics and health endpoints. Everything listens on 127.0.0.1 only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID, sign as cryptoSign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const GATEWAY_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = name => join(GATEWAY_DIR, 'node_modules', '.bin', name);

if (!existsSync(BIN('hive-gateway')) || !existsSync(BIN('mesh-compose'))) {
  throw new Error(`gateway dependencies are not installed: run "npm ci" in ${GATEWAY_DIR}`);
}

// graphql is a direct dependency of the gateway package
const { buildSchema, execute, parse, GraphQLError } = await import(
  join(GATEWAY_DIR, 'node_modules', 'graphql', 'index.mjs')
);

// ---------------------------------------------------------------------------
// fixtures: SDL as printed by strawberry 0.341 `_service { sdl }`
// ---------------------------------------------------------------------------

const FED_LINK = 'schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"]) {\n  query: Query\n}\n';
const SDL = {
  registry: `${FED_LINK}
type Node {
  id: ID!
  child: Node
}

type Query {
  _entities(representations: [_Any!]!): [_Entity]!
  _service: _Service!
  sites: [Site!]!
  node: Node
  whoami: String!
  forbidden: String
  count(n: Int!): Int!
}

type Site @key(fields: "id") {
  id: ID!
  name: String!
}

scalar _Any

union _Entity = Site

type _Service {
  sdl: String!
}
`,
  reporting: `${FED_LINK}
type Query {
  _entities(representations: [_Any!]!): [_Entity]!
  _service: _Service!
  reports: [Report!]!
}

type Report {
  id: ID!
  title: String!
  site: Site!
}

type Site @key(fields: "id") {
  id: ID!
  reports: [Report!]!
}

scalar _Any

union _Entity = Site

type _Service {
  sdl: String!
}
`,
};
for (const [name, type, field] of [
  ['archive', 'ArchivedItem', 'archivedItems'],
  ['inspection', 'Inspection', 'inspections'],
  ['appraisal', 'Appraisal', 'appraisals'],
]) {
  SDL[name] = `type ${type} {\n  id: ID!\n}\n\ntype Query {\n  _service: _Service!\n  ${field}: [${type}!]!\n}\n\nscalar _Any\n\ntype _Service {\n  sdl: String!\n}\n`;
}

const FED_DIRECTIVES = `
directive @link(url: String!, import: [String!]) repeatable on SCHEMA
directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
`;

const SITES = [
  { id: 's1', name: 'Oak Meadow' },
  { id: 's2', name: 'River Bend' },
];
const REPORTS = [
  { id: 'r1', title: 'Spring survey', siteId: 's1' },
  { id: 'r2', title: 'Autumn survey', siteId: 's2' },
];

function deepNode(level = 0) {
  return { id: `n${level}`, child: level < 40 ? () => deepNode(level + 1) : null };
}

/** root values of the fake subgraphs; `ctx` carries the received headers */
const ROOTS = {
  registry: {
    sites: () => SITES,
    node: () => deepNode(),
    whoami: (_args, ctx) => `${ctx.authorization} ${ctx.requestId}`,
    count: ({ n }) => n,
    forbidden: () => {
      throw new GraphQLError('not allowed here', { extensions: { code: 'FORBIDDEN' } });
    },
    _entities: ({ representations }) =>
      representations.map(rep => ({ __typename: 'Site', ...SITES.find(s => s.id === rep.id) })),
  },
  reporting: {
    reports: () =>
      REPORTS.map(r => ({ ...r, site: { __typename: 'Site', id: r.siteId } })),
    _entities: ({ representations }) =>
      representations.map(rep => ({
        __typename: 'Site',
        id: rep.id,
        reports: REPORTS.filter(r => r.siteId === rep.id).map(r => ({ ...r, site: { id: r.siteId } })),
      })),
  },
};

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

function listen(handler) {
  return new Promise((resolveListen, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen(server));
  });
}

async function freePort() {
  const server = await listen(() => {});
  const { port } = server.address();
  await new Promise(r => server.close(r));
  return port;
}

function readBody(req) {
  return new Promise((resolveBody, reject) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function run(cmd, args, options) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', d => (output += d));
    child.stderr.on('data', d => (output += d));
    child.on('error', reject);
    child.on('exit', code =>
      code === 0 ? resolveRun(output) : reject(new Error(`${args.join(' ')} exited ${code}\n${output}`)),
    );
  });
}

/** environment for child processes without anything that could leak in */
function cleanEnv(extra) {
  const envCopy = { ...process.env };
  for (const key of Object.keys(envCopy)) {
    if (
      /^(PORT|HOST|CONFIG_PATH|NODE_ENV|FORK|DEBUG|SUPERGRAPH_PATH|SUBGRAPHS_DIR)$/.test(key) ||
      /^(REGISTRY|ARCHIVE|INSPECTION|APPRAISAL|REPORTING)_URL$/.test(key) ||
      /^(KEYCLOAK|GATEWAY|HIVE|APOLLO)_/.test(key)
    ) {
      delete envCopy[key];
    }
  }
  return { ...envCopy, ...extra };
}

const b64url = value => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function signJwt(payload, { key, kid = 'test-key-1', alg = 'RS256', secret } = {}) {
  const header = b64url({ alg, typ: 'JWT', ...(kid ? { kid } : {}) });
  const body = b64url(payload);
  const input = `${header}.${body}`;
  const signature =
    alg === 'HS256'
      ? createHmac('sha256', secret).update(input).digest('base64url')
      : cryptoSign('RSA-SHA256', Buffer.from(input), key).toString('base64url');
  return `${input}.${signature}`;
}

// ---------------------------------------------------------------------------
// the environment under test
// ---------------------------------------------------------------------------

const ISSUER_LOCALHOST = 'http://localhost:8180/realms/ecosteward';
const ISSUER_LOOPBACK = 'http://127.0.0.1:8180/realms/ecosteward';
const AUDIENCE = 'ecosteward-api';

const realmKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rogueKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

function claims(overrides = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER_LOOPBACK,
    aud: AUDIENCE,
    sub: 'user-123',
    azp: 'ecosteward-web',
    iat: now,
    exp: now + 300,
    preferred_username: 'alice',
    ...overrides,
  };
}
const validToken = (overrides, opts) => signJwt(claims(overrides), { key: realmKey.privateKey, ...opts });

const received = []; // { subgraph, authorization, requestId, query }
const children = [];
const servers = [];
let workDir;
let gateway; // { url, logs }
let prodGateway;
let jwksHits = 0;

async function startSubgraph(name) {
  const schema = buildSchema(FED_DIRECTIVES + SDL[name]);
  const server = await listen(async (req, res) => {
    const raw = await readBody(req);
    const { query, variables, operationName } = JSON.parse(raw || '{}');
    const ctx = {
      authorization: req.headers['authorization'],
      requestId: req.headers['x-request-id'],
    };
    received.push({ subgraph: name, ...ctx, query, extensions: JSON.parse(raw || '{}').extensions });
    const result = await execute({
      schema,
      document: parse(query),
      rootValue: ROOTS[name] ?? {},
      contextValue: ctx,
      variableValues: variables,
      operationName,
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result));
  });
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}/graphql`;
}

async function startGateway(extraEnv) {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN('hive-gateway'), 'supergraph'], {
    cwd: GATEWAY_DIR,
    env: cleanEnv({ GATEWAY_PORT: String(port), ...extraEnv }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const instance = { url: `http://127.0.0.1:${port}`, logs: '', child };
  child.stdout.on('data', d => (instance.logs += d));
  child.stderr.on('data', d => (instance.logs += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited early:\n${instance.logs}`);
    try {
      const res = await fetch(`${instance.url}/readiness`);
      if (res.status === 200) return instance;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`gateway not ready in time:\n${instance.logs}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

async function gql(instance, query, { token, headers = {}, variables } = {}) {
  const res = await fetch(`${instance.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

function nestedNodeQuery(depth) {
  // depth counts field levels: `{ node { id } }` has depth 2
  let selection = 'id';
  for (let i = 0; i < depth - 2; i++) selection = `child { ${selection} }`;
  return `{ node { ${selection} } }`;
}

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'ecosteward-gw-smoke-'));
  const sdlDir = join(workDir, 'subgraphs');
  await import('node:fs').then(fs => fs.mkdirSync(sdlDir));
  for (const [name, sdl] of Object.entries(SDL)) writeFileSync(join(sdlDir, `${name}.graphql`), sdl);

  // fake Keycloak JWKS
  const jwk = { ...realmKey.publicKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };
  const jwksServer = await listen((req, res) => {
    if (req.url === '/realms/ecosteward/protocol/openid-connect/certs') {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  servers.push(jwksServer);
  const keycloakUrl = `http://127.0.0.1:${jwksServer.address().port}`;

  const registryUrl = await startSubgraph('registry');
  const reportingUrl = await startSubgraph('reporting');

  // compose with the real mesh.config.ts from the fixture SDLs; ARCHIVE_URL
  // checks the compose-time override, the others keep their defaults
  const supergraphPath = join(workDir, 'supergraph.graphql');
  await run(process.execPath, [BIN('mesh-compose'), '-o', supergraphPath], {
    cwd: GATEWAY_DIR,
    env: cleanEnv({ SUBGRAPHS_DIR: sdlDir, ARCHIVE_URL: 'http://127.0.0.1:9/archive/graphql' }),
  });

  const gatewayEnv = {
    SUPERGRAPH_PATH: supergraphPath,
    // runtime overrides: the supergraph says 127.0.0.1:8101 / :8105
    REGISTRY_URL: registryUrl,
    REPORTING_URL: reportingUrl,
    KEYCLOAK_URL: keycloakUrl,
    KEYCLOAK_ISSUER: `${ISSUER_LOCALHOST}, ${ISSUER_LOOPBACK}`,
  };
  gateway = await startGateway(gatewayEnv);
  prodGateway = await startGateway({ ...gatewayEnv, NODE_ENV: 'production' });
});

after(async () => {
  for (const child of children) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise(r => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }
  for (const server of servers) {
    server.closeAllConnections?.();
    await new Promise(r => server.close(r));
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------

describe('composition', () => {
  test('supergraph has the five subgraphs with default / overridden URLs', () => {
    const sdl = readFileSync(join(workDir, 'supergraph.graphql'), 'utf8');
    assert.match(sdl, /@join__graph\(name: "registry", url: "http:\/\/127\.0\.0\.1:8101\/graphql"\)/);
    assert.match(sdl, /@join__graph\(name: "archive", url: "http:\/\/127\.0\.0\.1:9\/archive\/graphql"\)/);
    assert.match(sdl, /@join__graph\(name: "inspection", url: "http:\/\/127\.0\.0\.1:8103\/graphql"\)/);
    assert.match(sdl, /@join__graph\(name: "appraisal", url: "http:\/\/127\.0\.0\.1:8104\/graphql"\)/);
    assert.match(sdl, /@join__graph\(name: "reporting", url: "http:\/\/127\.0\.0\.1:8105\/graphql"\)/);
    assert.match(sdl, /type Site @join__type\(graph: REGISTRY, key: "id"\)\s+@join__type\(graph: REPORTING, key: "id"\)/);
    assert.doesNotMatch(sdl, /_service|_entities/);
  });
});

describe('authentication', () => {
  const query = '{ whoami }';

  async function expectUnauthenticated(opts) {
    const before = received.length;
    const res = await gql(gateway, query, opts);
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.body.data, undefined);
    assert.equal(res.body.errors.length, 1);
    assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED', JSON.stringify(res.body));
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assert.equal(received.length, before, 'no subgraph call for a rejected request');
    return res.body.errors[0];
  }

  test('missing token', async () => {
    const err = await expectUnauthenticated({});
    assert.equal(err.message, 'Sign in first: no access token was sent (未登录).');
    assert.equal(err.extensions.reason, 'TOKEN_MISSING');
  });
  test('empty / non-bearer authorization header', async () => {
    await expectUnauthenticated({ headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    await expectUnauthenticated({ headers: { authorization: 'Bearer' } });
  });
  test('garbage token', async () => {
    const err = await expectUnauthenticated({ token: 'not-a-jwt' });
    assert.equal(err.message, 'The access token is invalid; sign in again (令牌无效).');
    assert.equal(err.extensions.reason, 'TOKEN_INVALID');
  });
  test('token signed by another key with the realm kid', () =>
    expectUnauthenticated({ token: signJwt(claims(), { key: rogueKey.privateKey }) }));
  test('token with a kid unknown to the JWKS', () =>
    expectUnauthenticated({ token: signJwt(claims(), { key: rogueKey.privateKey, kid: 'other-kid' }) }));
  test('HS256 token (algorithm not allowed)', () =>
    expectUnauthenticated({ token: signJwt(claims(), { alg: 'HS256', secret: 'x'.repeat(32) }) }));
  test('expired token', () =>
    expectUnauthenticated({ token: validToken({ exp: Math.floor(Date.now() / 1000) - 120 }) }));
  test('wrong audience', () => expectUnauthenticated({ token: validToken({ aud: 'account' }) }));
  test('wrong issuer', () =>
    expectUnauthenticated({ token: validToken({ iss: 'http://127.0.0.1:8180/realms/other' }) }));

  test('valid token for either configured issuer', async () => {
    for (const iss of [ISSUER_LOOPBACK, ISSUER_LOCALHOST]) {
      const res = await gql(gateway, query, { token: validToken({ iss }) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.errors, undefined, JSON.stringify(res.body));
    }
    // Keycloak tokens often carry several audiences
    const res = await gql(gateway, query, { token: validToken({ aud: ['account', AUDIENCE] }) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test('health, readiness and metrics need no token', async () => {
    for (const path of ['/healthcheck', '/readiness', '/metrics']) {
      const res = await fetch(`${gateway.url}${path}`);
      assert.equal(res.status, 200, path);
    }
  });
});

describe('every error has a code and says why (issue 7)', () => {
  const hasChinese = text => /[\u4e00-\u9fff]/.test(text);

  test('an expired token says so (refresh), a forged one says invalid (sign in)', async () => {
    const expired = await gql(gateway, '{ whoami }', {
      token: validToken({ exp: Math.floor(Date.now() / 1000) - 120 }),
    });
    assert.equal(expired.status, 401);
    assert.deepEqual(
      [expired.body.errors[0].extensions.code, expired.body.errors[0].extensions.reason],
      ['UNAUTHENTICATED', 'TOKEN_EXPIRED'],
    );
    assert.ok(hasChinese(expired.body.errors[0].message), expired.body.errors[0].message);
    for (const token of [signJwt(claims(), { key: rogueKey.privateKey }), validToken({ aud: 'account' })]) {
      const res = await gql(gateway, '{ whoami }', { token });
      assert.equal(res.body.errors[0].extensions.reason, 'TOKEN_INVALID', JSON.stringify(res.body));
    }
    const header = await gql(gateway, '{ whoami }', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(header.body.errors[0].extensions.reason, 'TOKEN_INVALID', JSON.stringify(header.body));
    assert.ok(hasChinese(header.body.errors[0].message));
  });

  test('an Int variable out of range is BAD_USER_INPUT naming the argument', async () => {
    const start = received.length;
    const res = await gql(gateway, 'query Count($big: Int!) { count(n: $big) }', {
      token: validToken(),
      variables: { big: 99999999999 },
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const [error] = res.body.errors;
    assert.equal(error.extensions.code, 'BAD_USER_INPUT', JSON.stringify(res.body));
    assert.equal(error.extensions.argumentName, 'n');
    assert.match(error.message, /`n`/);
    assert.ok(hasChinese(error.message), error.message);
    assert.equal(received.length, start, 'refused before reaching a subgraph');
  });

  test('a literal out of range is BAD_USER_INPUT naming the argument', async () => {
    const res = await gql(gateway, '{ count(n: 99999999999) }', { token: validToken() });
    const [error] = res.body.errors;
    assert.equal(error.extensions.code, 'BAD_USER_INPUT', JSON.stringify(res.body));
    assert.equal(error.extensions.argumentName, 'n');
  });

  test('content-type text/plain is 415 with a JSON body', async () => {
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${validToken()}` },
      body: JSON.stringify({ query: '{ whoami }' }),
    });
    assert.equal(res.status, 415);
    const body = await res.json();
    assert.equal(body.errors[0].extensions.code, 'UNSUPPORTED_MEDIA_TYPE', JSON.stringify(body));
    assert.ok(hasChinese(body.errors[0].message));
  });

  test('unknown paths are 404 with a JSON body', async () => {
    const res = await fetch(`${gateway.url}/no/such/path`);
    assert.equal(res.status, 404);
    const body = await res.json();
    assert.equal(body.errors[0].extensions.code, 'NOT_FOUND', JSON.stringify(body));
  });

  test('a body over the limit is PAYLOAD_TOO_LARGE', async () => {
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${validToken()}` },
      body: JSON.stringify({ query: '{ whoami }', variables: { pad: 'x'.repeat(6 * 1024 * 1024) } }),
    });
    assert.equal(res.status, 413);
    const body = await res.json();
    assert.equal(body.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE', JSON.stringify(body));
    assert.ok(hasChinese(body.errors[0].message), body.errors[0].message);
  });

  test('batching is refused with a code', async () => {
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${validToken()}` },
      body: JSON.stringify([{ query: '{ whoami }' }, { query: '{ whoami }' }]),
    });
    const body = await res.json();
    assert.equal(res.status, 400);
    assert.ok(body.errors[0].extensions.code, JSON.stringify(body));
  });

  test('oversized headers are 431 with a JSON body', async () => {
    const { request } = await import('node:http');
    const { port } = new URL(gateway.url);
    const answer = await new Promise((resolveAnswer, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/graphql', method: 'GET', headers: { 'x-pad': 'a'.repeat(40_000) } },
        res => {
          let text = '';
          res.on('data', d => (text += d));
          res.on('end', () => resolveAnswer({ status: res.statusCode, text }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.status, 431);
    assert.equal(JSON.parse(answer.text).errors[0].extensions.code, 'HEADERS_TOO_LARGE');
  });
});

describe('header propagation and federation', () => {
  test('authorization and client x-request-id reach every subgraph involved', async () => {
    const token = validToken();
    const requestId = `smoke-${randomUUID()}`;
    const start = received.length;
    const res = await gql(
      gateway,
      '{ whoami sites { id name reports { title } } reports { title site { name } } }',
      { token, headers: { 'x-request-id': requestId } },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.errors, undefined, JSON.stringify(res.body));
    assert.equal(res.body.data.whoami, `Bearer ${token} ${requestId}`);
    assert.deepEqual(res.body.data.sites, [
      { id: 's1', name: 'Oak Meadow', reports: [{ title: 'Spring survey' }] },
      { id: 's2', name: 'River Bend', reports: [{ title: 'Autumn survey' }] },
    ]);
    assert.deepEqual(res.body.data.reports, [
      { title: 'Spring survey', site: { name: 'Oak Meadow' } },
      { title: 'Autumn survey', site: { name: 'River Bend' } },
    ]);
    assert.equal(res.headers.get('x-request-id'), requestId);

    const calls = received.slice(start);
    assert.deepEqual(new Set(calls.map(c => c.subgraph)), new Set(['registry', 'reporting']));
    assert.ok(calls.some(c => c.query.includes('_entities')), 'entity fetches happened');
    for (const call of calls) {
      assert.equal(call.authorization, `Bearer ${token}`, call.subgraph);
      assert.equal(call.requestId, requestId, call.subgraph);
      assert.equal(call.extensions?.jwt, undefined, 'JWT payload is not forwarded in extensions');
    }
  });

  test('a generated x-request-id is sent to subgraphs and returned to the client', async () => {
    const start = received.length;
    const res = await gql(gateway, '{ sites { name reports { title } } }', { token: validToken() });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const generated = res.headers.get('x-request-id');
    assert.match(generated, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const calls = received.slice(start);
    assert.ok(calls.length >= 2);
    for (const call of calls) assert.equal(call.requestId, generated, call.subgraph);
  });

  test('subgraph error codes pass through', async () => {
    const res = await gql(gateway, '{ forbidden }', { token: validToken() });
    assert.equal(res.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(res.body));
  });
});

describe('security limits', () => {
  test('depth 12 is allowed, depth 13 is rejected with a code', async () => {
    const ok = await gql(gateway, nestedNodeQuery(12), { token: validToken() });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.errors, undefined, JSON.stringify(ok.body));

    const start = received.length;
    const res = await gql(gateway, nestedNodeQuery(13), { token: validToken() });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(res.body.errors[0].message, /Query depth limit of 12 exceeded, found 13/);
    assert.equal(received.length, start, 'rejected before reaching subgraphs');
  });

  test('more than 2000 tokens is rejected with a code', async () => {
    const query = `{ sites { ${'id '.repeat(2100)} } }`;
    const res = await gql(gateway, query, { token: validToken() });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.errors[0].message, /Token limit of 2000 exceeded/);
    assert.equal(res.body.errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED', JSON.stringify(res.body));
  });

  test('more than 30 aliases is rejected with a code', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: whoami`).join(' ');
    const res = await gql(gateway, `{ ${aliases} }`, { token: validToken() });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.errors[0].message, /Aliases limit of 30 exceeded/);
    assert.equal(res.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  });

  test('more than 50 directives is rejected with a code', async () => {
    const directives = ' @include(if: true)'.repeat(51);
    const res = await gql(gateway, `{ whoami${directives} }`, { token: validToken() });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.errors[0].message, /Directives limit of 50 exceeded/);
    assert.equal(res.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  });

  test('request batching is disabled', async () => {
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${validToken()}` },
      body: JSON.stringify([{ query: '{ whoami }' }, { query: '{ whoami }' }]),
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.ok(body.errors?.length, JSON.stringify(body));
  });

  test('unknown fields are validation errors with a code', async () => {
    const res = await gql(gateway, '{ doesNotExist }', { token: validToken() });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  });
});

describe('development vs production mode', () => {
  const introspection = '{ __schema { queryType { name } } }';

  test('development: introspection and GraphiQL are available', async () => {
    const res = await gql(gateway, introspection, { token: validToken() });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.__schema.queryType.name, 'Query');
    const page = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
  });

  test('production: introspection rejected, no GraphiQL, auth still enforced', async () => {
    const res = await gql(prodGateway, introspection, { token: validToken() });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.data, undefined);
    assert.match(res.body.errors[0].message, /introspection/i);
    assert.equal(res.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');

    const page = await fetch(`${prodGateway.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.doesNotMatch(page.headers.get('content-type') ?? '', /text\/html/);
    await page.arrayBuffer();

    const typo = await gql(prodGateway, '{ whoam }', { token: validToken() });
    assert.equal(typo.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.doesNotMatch(typo.body.errors[0].message, /Did you mean/);
    const devTypo = await gql(gateway, '{ whoam }', { token: validToken() });
    assert.match(devTypo.body.errors[0].message, /Did you mean/);

    const anon = await gql(prodGateway, '{ whoami }');
    assert.equal(anon.status, 401);
    assert.equal(anon.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    const ok = await gql(prodGateway, '{ whoami }', { token: validToken() });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});

describe('metrics', () => {
  test('/metrics exposes gateway and subgraph metrics', async () => {
    const res = await fetch(`${gateway.url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^graphql_yoga_http_duration_count\{/m);
    assert.match(text, /^graphql_gateway_subgraph_execute_duration_count\{[^}]*subgraphName="registry"/m);
    assert.match(text, /^graphql_gateway_subgraph_execute_duration_count\{[^}]*subgraphName="reporting"/m);
    assert.match(text, /^graphql_gateway_fetch_duration_count\{/m);
  });

  test('JWKS is fetched from the configured Keycloak URL and cached', () => {
    assert.ok(jwksHits >= 1);
    // one fetch for the realm key + refetches for the unknown kid only
    assert.ok(jwksHits <= 6, `JWKS fetched ${jwksHits} times`);
  });
});
