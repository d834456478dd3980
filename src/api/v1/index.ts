/** Every tenant API module, registered inside the key pipeline's plugin. */
import type { FastifyInstance } from 'fastify';
import type { ServingRuntime } from '../../runtime.js';
import { KnowledgeService } from '../../services/knowledge.js';
import { knowledgeRoutes } from './knowledge.js';
import { meRoutes } from './me.js';

export async function registerV1(app: FastifyInstance, runtime: ServingRuntime): Promise<void> {
  await app.register(meRoutes);
  await app.register(knowledgeRoutes(new KnowledgeService(runtime.store, runtime.clock)));
}
