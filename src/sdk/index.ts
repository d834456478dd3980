/**
 * `atender/client`: a typed client for the Atender tenant API.
 *
 *   import { Atender } from 'atender/client';
 *   const atender = new Atender(); // ATENDER_API_KEY, ATENDER_API_URL
 *   for await (const article of atender.knowledge.articles.list()) console.log(article.slug);
 */
export { Atender, type AtenderOptions } from './client.js';
export * from './errors.js';
export { Paginator, type Page, type ListParams } from './paginate.js';
export type { CallOptions, CreateOptions } from './resources/collection.js';
export type { HttpMethod, Reply, RequestOptions, RetryPolicy } from './transport.js';
export type * from './types.js';
export { verifyWebhook, WebhookVerificationError, type WebhookEvent, type WebhookHeaders, type VerifyWebhookOptions } from './webhooks.js';
