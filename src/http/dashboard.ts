/**
 * The dashboard: the Vite build of `web/` (in `dist/web`, made by `npm run
 * build`) served as static files by this same process. Only the files that
 * exist are routed (no wildcard), so `/v1` and `/manage/v1` keep their own 404s.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

// Same place whether this file runs from src/http (tests) or dist/http (the bin).
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export async function registerDashboard(app: FastifyInstance): Promise<void> {
  if (!existsSync(`${DASHBOARD_DIR}index.html`)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send('The dashboard is not built. Run `npm run build` (npm start does it), then reload.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: DASHBOARD_DIR,
    prefix: '/',
    wildcard: false,
    index: 'index.html',
    setHeaders: (reply, path) => {
      reply.headers(SECURITY_HEADERS);
      // Vite puts a content hash in asset names; index.html must always be fetched fresh.
      reply.header('cache-control', path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
}
