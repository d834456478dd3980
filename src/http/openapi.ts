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
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
