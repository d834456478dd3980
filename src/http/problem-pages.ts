/** `GET /problems/<code>`: the human page each problem's `type` points at. */
import type { FastifyInstance } from 'fastify';
import { PROBLEMS, isProblemCode } from '../core/problems.js';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function registerProblemPages(app: FastifyInstance): void {
  app.get<{ Params: { code: string } }>('/problems/:code', { schema: { hide: true } }, async (request, reply) => {
    const { code } = request.params;
    if (!isProblemCode(code)) return reply.callNotFound();
    const p = PROBLEMS[code];
    const about = escape(p.about).replace(/`([^`]+)`/g, '<code>$1</code>');
    reply.type('text/html; charset=utf-8');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(p.title)} · Atender API</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}code{background:#f2f2f2;padding:.1em .3em;border-radius:3px}</style></head>
<body><h1>${escape(p.title)}</h1><p><strong>HTTP ${p.status}</strong> · code <code>${code}</code></p><p>${about}</p><p><a href="/docs">API reference</a></p></body></html>`;
  });
}
