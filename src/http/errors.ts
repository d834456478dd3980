/**
 * The one place where failures become responses: every ApiError, validation
 * error, body-parser error or unexpected exception turns into RFC 9457
 * problem+json with the request id. Unexpected errors never leak their message.
 */
import { NOT_BLANK } from '../api/schemas/common.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type FieldError, PROBLEMS, type ProblemCode } from '../core/problems.js';
import { isForeignKeyViolation } from '../store/dialect.js';

export function problemBody(code: ProblemCode, detail: string, requestId: string, extras: Record<string, unknown> = {}) {
  const { status, title } = PROBLEMS[code];
  return { type: `/problems/${code}`, title, status, detail, code, request_id: requestId, ...extras };
}

export function sendProblem(reply: FastifyReply, error: ApiError): FastifyReply {
  reply.code(error.status).headers(error.headers).type('application/problem+json');
  return reply.send(problemBody(error.code, error.message, String(reply.request.id), error.extras));
}

/** Maps Fastify's own errors (validation, body parsing, limits) onto our codes. */
export function toApiError(error: FastifyError | Error): ApiError | null {
  if (error instanceof ApiError) return error;
  const fe = error as FastifyError;
  if (fe.validation) {
    const errors: FieldError[] = fe.validation.map((v) => {
      const missing = (v.params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
      const base = `${fe.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`;
      if (missing.missingProperty) return { path: `${base}.${missing.missingProperty}`, message: 'is required' };
      if (missing.additionalProperty) return { path: `${base}.${missing.additionalProperty}`, message: 'is not a known field' };
      if (v.keyword === 'pattern' && (v.params as { pattern?: string }).pattern === NOT_BLANK) return { path: base, message: 'must contain more than spaces' };
      return { path: base, message: v.message ?? 'is invalid' };
    });
    return new ApiError('invalid_request', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'request bodies are limited to 1 MiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'send JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_request', 'the JSON body is empty', { errors: [{ path: 'body', message: 'is empty' }] });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_request', 'the body is not valid JSON', { errors: [{ path: 'body', message: 'is not valid JSON' }] });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('invalid_request', 'Content-Length does not match the body');
    default:
      break;
  }
  if (error instanceof SyntaxError && fe.statusCode === 400) {
    return new ApiError('invalid_request', 'the body is not valid JSON', { errors: [{ path: 'body', message: 'is not valid JSON' }] });
  }
  if (fe.statusCode === 404) return new ApiError('not_found', 'no such route');
  // A row the write refers to was deleted after the request found it (PostgreSQL lets the two interleave);
  // the write's transaction rolled back.
  if (isForeignKeyViolation(error)) return new ApiError('conflict', 'something this request refers to was deleted while this request ran; nothing was written');
  return null;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error);
    if (apiError) {
      if (apiError.status >= 500) request.log.warn({ code: apiError.code }, apiError.message);
      return sendProblem(reply, apiError);
    }
    request.log.error({ err: { type: error.name, message: error.message, stack: error.stack } }, 'unhandled error');
    return sendProblem(reply, new ApiError('internal_error', 'an internal error occurred; quote the request id when reporting it'));
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new ApiError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)));
}
