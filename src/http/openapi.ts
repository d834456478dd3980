/** OpenAPI 3.1 generated from the route schemas; scopes appear as the bearer scheme's per-operation requirements. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { SCOPES } from '../core/scopes.js';

export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Atender tenant API',
        version: '1.0.0',
        description: `Authenticate with \`Authorization: Bearer sa_live_...\` (production) or \`sa_test_...\` (sandbox). Scopes:\n\n${Object.entries(SCOPES).map(([s, d]) => `- \`${s}\`: ${d}`).join('\n')}`,
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An Atender API key. The scopes listed on each operation are all required.' },
          session: { type: 'apiKey', in: 'cookie', name: 'atender_session', description: 'Management API: the session cookie set by `POST /manage/v1/session`. Mutating calls also need an `Origin` matching the server or the `X-CSRF-Token` header.' },
        },
        schemas: { Problem: PROBLEM_SCHEMA },
      },
    },
    transformObject: (document) => ('openapiObject' in document ? documentPipeline(document.openapiObject as OpenApiDocument) : document.swaggerObject) as never,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

type Json = Record<string, unknown>;
interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses?: Record<string, Json & { headers?: Record<string, Json> }>;
}
interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
}

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details; some codes add fields (`errors`, `required_scopes`, `violated_policies`).',
  required: ['type', 'title', 'status', 'detail', 'code', 'request_id'] as string[],
  properties: {
    type: { type: 'string', description: '`/problems/<code>`, a page explaining the code' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    request_id: { type: 'string' },
  },
  additionalProperties: true,
} as const;

const header = (type: 'string' | 'integer', description: string) => ({ schema: { type }, description });

/** SPEC section 4: on every answer of a request that reached the budget check. */
const RATE_LIMIT_HEADERS = {
  'RateLimit-Policy': header('string', 'The key\'s policies, e.g. `"minute";q=600;w=60, "day";q=100000;w=86400`'),
  RateLimit: header('string', 'The policy closest to exhaustion: `"minute";r=<remaining>;t=<seconds>`'),
  'X-RateLimit-Limit': header('integer', 'Quota of that policy'),
  'X-RateLimit-Remaining': header('integer', 'Requests left in it'),
  'X-RateLimit-Reset': header('integer', 'Seconds until it is full again (minute) or resets (day)'),
};

const problem = (description: string, headers?: Record<string, Json>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * What the key pipeline adds to every /v1 operation, which the route schemas
 * do not say: the rate-limit headers on success, `Idempotent-Replayed` where an
 * Idempotency-Key is taken, and the refusals it answers before any handler.
 */
function documentPipeline(document: OpenApiDocument): OpenApiDocument {
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    if (!path.startsWith('/v1/')) continue;
    for (const operation of Object.values(operations)) {
      const responses = (operation.responses ??= {});
      const idempotent = operation.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key') ?? false;
      for (const [status, response] of Object.entries(responses)) {
        if (!status.startsWith('2')) continue;
        response.headers = { ...response.headers, ...RATE_LIMIT_HEADERS };
        if (idempotent) response.headers['Idempotent-Replayed'] = header('string', '`true` when this is the stored answer to an earlier request with the same Idempotency-Key and body');
      }
      responses['401'] ??= problem('No key, a malformed or unknown key, or a revoked, expired or disabled one (`WWW-Authenticate` says which)');
      responses['403'] ??= problem('The key lacks a scope this operation needs (`required_scopes`), or the address is outside its allowlist', RATE_LIMIT_HEADERS);
      responses['429'] ??= problem("The key's per-minute or daily budget is spent (`violated_policies`), or too many failed attempts came from this address", {
        'Retry-After': header('integer', 'Seconds after which the request would be admitted'),
        ...RATE_LIMIT_HEADERS,
      });
    }
  }
  return document;
}
