/**
 * The Fastify application: global concerns (request ids, errors, docs) at the
 * root; the key pipeline encapsulated in the `/v1` plugin so it guards exactly
 * the tenant API (including its 404s) and nothing else.
 */
import { randomUUID } from 'node:crypto';
import AjvCompiler from '@fastify/ajv-compiler';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerV1 } from '../api/v1/index.js';
import { ApiError } from '../core/problems.js';
import type { ServingRuntime } from '../runtime.js';
import { registerManage } from '../manage/index.js';
import { registerKeyPipeline } from './auth-plugin.js';
import { registerBenchBaseline } from './bench-baseline.js';
import { registerDashboard } from './dashboard.js';
import { registerErrorHandling, sendProblem, toApiError } from './errors.js';
import { registerDocs } from './openapi.js';
import { registerOperations } from './operations.js';
import { registerProblemPages } from './problem-pages.js';
import { TurnBatches } from './turn-batches.js';

export const BODY_LIMIT = 1024 * 1024;

export interface AppOptions {
  logger?: boolean;
}

export async function buildApp(runtime: ServingRuntime, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : {
      level: runtime.config.logLevel,
      // Belt and braces: our serializers never include headers, but a stray log of a request must not carry a key.
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'req.headers.cookie', 'headers.cookie', 'req.headers["x-csrf-token"]'], censor: '[redacted]' },
    },
    // Access lines come from our own onResponse hook, at debug level, with the key id and never the key.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: BODY_LIMIT,
    genReqId: () => `req_${randomUUID().replaceAll('-', '')}`,
    // Our own 503 while closing (below): problem+json with a request id, like every other refusal.
    return503OnClosing: false,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } },
    schemaController: { compilersFactory: { buildValidator: strictBodyValidator() } },
    // Errors raised before any hook (an undecodable URL) still answer problem+json with a request id.
    frameworkErrors: (error, request, reply) => {
      reply.header('request-id', request.id);
      sendProblem(reply, toApiError(error) ?? new ApiError('invalid_request', 'the request could not be routed'));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Callback-style hooks: these run on every request and wait for nothing, so no promise each.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const batches = new TurnBatches(app.log);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('request-id', request.id);
    // Requests still arriving on open connections while the server drains (Fastify also answers them with Connection: close).
    if (closing) return done(new ApiError('service_unavailable', 'this node is shutting down; send the request again (another node answers it)', {}, { 'retry-after': '1' }));
    batches.defer(done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    // The access line exists only at debug level: build it only then.
    if (request.log.level === 'debug' || request.log.level === 'trace') {
      request.log.debug({ method: request.method, route: request.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100, key_id: request.apiKey?.keyId ?? null }, 'request');
    }
    done();
  });

  // JSON only: any other body is 415 (Fastify would otherwise accept text/plain).
  app.removeContentTypeParser('text/plain');
  // Many clients send `Content-Type: application/json` on a DELETE or GET without a body:
  // an empty body is no body (a route that needs one still answers 400 from its schema).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    return parseJson(request, body as string, done);
  });
  registerErrorHandling(app);
  await registerDocs(app);
  registerProblemPages(app);

  registerOperations(app, runtime);

  await app.register(
    async (v1) => {
      registerKeyPipeline(v1, runtime);
      v1.setNotFoundHandler(async (request) => {
        // Reached only after checks 1-4 passed (the pipeline answers 404 itself then).
        throw new ApiError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
      });
      await registerV1(v1, runtime);
    },
    { prefix: '/v1' },
  );
  await registerManage(app, runtime);
  await registerDashboard(app);

  if (runtime.config.benchBaseline) registerBenchBaseline(app);
  return app;
}

/**
 * Query strings, params and headers arrive as text, so they are coerced to their
 * declared types; a JSON body already has types, and `{"title": 5}` must be a 400,
 * not the title "5". Same Ajv set-up otherwise (formats, shared schemas).
 */
function strictBodyValidator(): NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator'] {
  const pool = AjvCompiler();
  return (externalSchemas, options) => {
    const coercing = pool(externalSchemas, options);
    const strict = pool(externalSchemas, { ...options, customOptions: { ...options?.customOptions, coerceTypes: false } } as typeof options);
    return (route) => (route.httpPart === 'body' ? strict : coercing)(route);
  };
}
