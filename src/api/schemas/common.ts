import { Type } from '@sinclair/typebox';

/** The problem+json body of every error (RFC 9457). */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    request_id: Type.String(),
  },
  { additionalProperties: true, $id: 'Problem' },
);

export const IdParam = (prefix: string) => Type.Object({ id: Type.String({ pattern: `^${prefix}_[0-9a-z]{26}$`, description: `A \`${prefix}_...\` id` }) });

export const Timestamp = Type.String({ format: 'date-time' });
