/**
 * Mesh Compose configuration: builds `supergraph.graphql` for Hive Gateway.
 *
 * The subgraphs require a bearer token for every operation (including
 * `_service { sdl }`), so composition never introspects a running service.
 * Each subgraph's SDL is read from `<SUBGRAPHS_DIR>/<name>.graphql`, written by
 * `make supergraph` (the Python SDL export) into the ignored build directory
 * `.cache/subgraphs/` — not committed; only the endpoint URL is recorded in the
 * supergraph, as the subgraph's routing URL.
 *
 * Environment:
 *   REGISTRY_URL, ARCHIVE_URL, INSPECTION_URL, APPRAISAL_URL, REPORTING_URL
 *       routing URL written into the supergraph (defaults below)
 *   SUBGRAPHS_DIR
 *       directory with the <name>.graphql SDL files (default: ../.cache/subgraphs,
 *       relative to this file); the smoke test and tests/test_supergraph.py set it
 *
 * Usage: `npm run compose` (= `mesh-compose -o supergraph.graphql`).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, loadGraphQLHTTPSubgraph } from '@graphql-mesh/compose-cli';

const here = dirname(fileURLToPath(import.meta.url));

/** subgraph name -> [env var overriding the URL, default URL] */
const SUBGRAPHS: Record<string, [string, string]> = {
  registry: ['REGISTRY_URL', 'http://127.0.0.1:8101/graphql'],
  archive: ['ARCHIVE_URL', 'http://127.0.0.1:8102/graphql'],
  inspection: ['INSPECTION_URL', 'http://127.0.0.1:8103/graphql'],
  appraisal: ['APPRAISAL_URL', 'http://127.0.0.1:8104/graphql'],
  reporting: ['REPORTING_URL', 'http://127.0.0.1:8105/graphql'],
};

function envOr(name: string, fallback: string): string {
  const value = process.env[name]?.trim();
  return value ? value : fallback;
}

const sdlDirSetting = envOr('SUBGRAPHS_DIR', '../.cache/subgraphs');
const sdlDir = isAbsolute(sdlDirSetting) ? sdlDirSetting : resolve(here, sdlDirSetting);

const missing = Object.keys(SUBGRAPHS)
  .map(name => resolve(sdlDir, `${name}.graphql`))
  .filter(path => !existsSync(path));
if (missing.length > 0) {
  throw new Error(
    `Missing subgraph SDL file(s): ${missing.join(', ')}. ` +
      'Export the subgraph SDLs first: `make supergraph` (see gateway/README.md).',
  );
}

export const composeConfig = defineConfig({
  subgraphs: Object.entries(SUBGRAPHS).map(([name, [envName, defaultUrl]]) => ({
    sourceHandler: loadGraphQLHTTPSubgraph(name, {
      // Routing URL stored in the supergraph (join__graph url + @transport location).
      // Resolved here, not via Mesh's "{env.X}" interpolation, because the
      // loader stores the *uninterpolated* endpoint string in the supergraph.
      endpoint: envOr(envName, defaultUrl),
      // Schema comes from the SDL file: no network access during composition.
      source: resolve(sdlDir, `${name}.graphql`),
    }),
  })),
});
