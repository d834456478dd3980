/** Knowledge base (SPEC section 6): `knowledge:read` to read, `knowledge:write` to change. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { guarded } from '../../http/auth-plugin.js';
import { type Idempotency, IdempotencyKeyHeader } from '../../http/idempotency.js';
import { type KnowledgeService, articleView } from '../../services/knowledge.js';
import { IdParam } from '../schemas/common.js';
import { Article, ArticleInput, ArticlePatch, Slug } from '../schemas/knowledge.js';
import { Page, PageQuery, pageRequest, toPage } from './pagination.js';

const read = guarded(['knowledge:read']);
const write = guarded(['knowledge:write']);
const tags = ['Knowledge base'];
const ArticleId = IdParam('art');
const SlugParam = Type.Object({ slug: Slug });

export function knowledgeRoutes(knowledge: KnowledgeService, idempotency: Idempotency): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/knowledge/articles', { config: read.config, schema: { tags, summary: 'List articles, newest first', security: read.security, querystring: PageQuery, response: { 200: Page(Article) } } }, async (request) => {
      const rows = await knowledge.list(request.apiKey!.tenantId, pageRequest(request.query));
      return toPage(rows, request.query.limit, articleView);
    });

    app.get('/knowledge/articles/:id', { config: read.config, schema: { tags, summary: 'Get an article', security: read.security, params: ArticleId, response: { 200: Article } } }, async (request) =>
      knowledge.get(request.apiKey!.tenantId, { id: request.params.id }),
    );

    app.get('/knowledge/articles/by-slug/:slug', { config: read.config, schema: { tags, summary: 'Get an article by slug', security: read.security, params: SlugParam, response: { 200: Article } } }, async (request) =>
      knowledge.get(request.apiKey!.tenantId, { slug: request.params.slug }),
    );

    app.post('/knowledge/articles', { config: write.config, schema: { tags, summary: 'Create an article', security: write.security, headers: IdempotencyKeyHeader, body: ArticleInput, response: { 201: Article } } }, async (request, reply) =>
      idempotency.run(request, reply, 201, () => knowledge.create(request.apiKey!.tenantId, request.body)),
    );

    app.patch('/knowledge/articles/:id', { config: write.config, schema: { tags, summary: 'Change an article', security: write.security, params: ArticleId, body: ArticlePatch, response: { 200: Article } } }, async (request) =>
      knowledge.update(request.apiKey!.tenantId, request.params.id, request.body),
    );

    app.delete('/knowledge/articles/:id', { config: write.config, schema: { tags, summary: 'Delete an article', security: write.security, params: ArticleId, response: { 204: Type.Null() } } }, async (request, reply) => {
      await knowledge.remove(request.apiKey!.tenantId, request.params.id);
      return reply.code(204).send(null);
    });

    app.put('/knowledge/articles/by-slug/:slug', { config: write.config, schema: { tags, summary: 'Create or replace the article with this slug (201 created, 200 replaced)', security: write.security, params: SlugParam, body: ArticleInput, response: { 200: Article, 201: Article } } }, async (request, reply) => {
      const { article, created } = await knowledge.upsert(request.apiKey!.tenantId, request.params.slug, request.body);
      reply.code(created ? 201 : 200);
      return article;
    });
  };
}
