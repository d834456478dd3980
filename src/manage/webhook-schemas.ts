/** TypeBox schemas of `/manage/v1/webhook-endpoints` (validation, serialization and the OpenAPI document). */
import { Type } from '@sinclair/typebox';
import { Timestamp } from '../api/schemas/common.js';
import { WEBHOOK_EVENT_TYPES } from '../core/webhooks.js';
import { MAX_URL_LENGTH } from '../webhooks/target-guard.js';

const Environment = Type.Union([Type.Literal('production'), Type.Literal('sandbox')]);
const EventType = Type.String({ enum: [...WEBHOOK_EVENT_TYPES] });
const Events = Type.Array(EventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true });
const Url = Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH, description: 'http(s) URL on a public address' });

export const Endpoint = Type.Object({
  id: Type.String(),
  url: Type.String(),
  environment: Environment,
  events: Type.Array(EventType),
  enabled: Type.Boolean(),
  disabled_reason: Type.Union([Type.Literal('admin'), Type.Literal('gone'), Type.Literal('failing'), Type.Null()]),
  previous_secret_expires_at: Type.Union([Timestamp, Type.Null()], { description: 'While set, deliveries carry the old secret\'s signature too' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const CreatedEndpoint = Type.Composite([Endpoint, Type.Object({ secret: Type.String({ description: '`whsec_...` signing secret, shown only in this answer' }) })]);

export const EndpointList = Type.Object({ data: Type.Array(Endpoint) });
export const EndpointListQuery = Type.Object({ environment: Type.Optional(Environment) });

export const CreateEndpointBody = Type.Object({ url: Url, environment: Environment, events: Events }, { additionalProperties: false });
export const PatchEndpointBody = Type.Object({ url: Type.Optional(Url), events: Type.Optional(Events), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false, minProperties: 1 });
export const RotateSecretBody = Type.Object(
  { overlap_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86_400, default: 86_400, description: 'How long the old secret keeps signing too' })) },
  { additionalProperties: false },
);
export const ReplayBody = Type.Object({ since: Timestamp, until: Type.Optional(Timestamp) }, { additionalProperties: false });
export const Replayed = Type.Object({ replayed: Type.Integer() });

export const Delivery = Type.Object({
  id: Type.String(),
  event_id: Type.String({ description: 'The `webhook-id` header of every attempt' }),
  event_type: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempt_count: Type.Integer(),
  next_attempt_at: Type.Union([Timestamp, Type.Null()]),
  last_status: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  completed_at: Type.Union([Timestamp, Type.Null()]),
  attempts: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      at: Timestamp,
      status_code: Type.Union([Type.Integer(), Type.Null()]),
      latency_ms: Type.Number(),
      response_body: Type.Union([Type.String(), Type.Null()], { description: 'The first 1 KiB of the answer' }),
      response_truncated: Type.Boolean(),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
