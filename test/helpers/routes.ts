/** Every tenant API route and the scopes SPEC section 6 says it needs, written out from the SPEC (not read from the app). */
import type { Scope } from '../../src/core/scopes.js';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** OpenAPI path template. */
  path: string;
  scopes: Scope[];
}

export const V1_ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/v1/me', scopes: [] },
  { method: 'GET', path: '/v1/knowledge/articles', scopes: ['knowledge:read'] },
  { method: 'GET', path: '/v1/knowledge/articles/{id}', scopes: ['knowledge:read'] },
  { method: 'GET', path: '/v1/knowledge/articles/by-slug/{slug}', scopes: ['knowledge:read'] },
  { method: 'POST', path: '/v1/knowledge/articles', scopes: ['knowledge:write'] },
  { method: 'PATCH', path: '/v1/knowledge/articles/{id}', scopes: ['knowledge:write'] },
  { method: 'DELETE', path: '/v1/knowledge/articles/{id}', scopes: ['knowledge:write'] },
  { method: 'PUT', path: '/v1/knowledge/articles/by-slug/{slug}', scopes: ['knowledge:write'] },
  { method: 'GET', path: '/v1/contacts', scopes: ['contacts:read'] },
  { method: 'GET', path: '/v1/contacts/{id}', scopes: ['contacts:read'] },
  { method: 'POST', path: '/v1/contacts', scopes: ['contacts:write'] },
  { method: 'PATCH', path: '/v1/contacts/{id}', scopes: ['contacts:write'] },
  { method: 'DELETE', path: '/v1/contacts/{id}', scopes: ['contacts:write'] },
  { method: 'PUT', path: '/v1/contacts/by-external-id/{external_id}', scopes: ['contacts:write'] },
  { method: 'GET', path: '/v1/conversations', scopes: ['conversations:read'] },
  { method: 'GET', path: '/v1/conversations/{id}', scopes: ['conversations:read'] },
  { method: 'GET', path: '/v1/conversations/{id}/messages', scopes: ['conversations:read'] },
  { method: 'POST', path: '/v1/conversations', scopes: ['conversations:write'] },
  { method: 'POST', path: '/v1/conversations/{id}/messages', scopes: ['conversations:write'] },
  { method: 'PATCH', path: '/v1/conversations/{id}', scopes: ['conversations:write'] },
  { method: 'POST', path: '/v1/channels/api/conversations', scopes: ['conversations:write', 'channels:api'] },
  { method: 'GET', path: '/v1/analytics/conversations', scopes: ['analytics:read'] },
];

/** A concrete URL for a template (ids well-formed but unknown). */
export function concreteUrl(path: string): string {
  return path
    .replace('/articles/{id}', '/articles/art_00000000000000000000000000')
    .replace('/contacts/{id}', '/contacts/ct_00000000000000000000000000')
    .replace('/conversations/{id}', '/conversations/cv_00000000000000000000000000')
    .replace('{slug}', 'some-slug')
    .replace('{external_id}', 'ext-1');
}
