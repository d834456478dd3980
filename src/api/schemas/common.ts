import { Type } from '@sinclair/typebox';

/** A pattern for text that must hold more than spaces (errors.ts gives it a readable message). */
export const NOT_BLANK = '\\S';

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

/**
 * An id in a path. Any string that is not an existing id (typos, ids of another
 * type) is simply unknown: 404, as for an id from the other environment, not 400.
 */
export const IdParam = (prefix: string) => Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, description: `A \`${prefix}_...\` id` }) });

export const Timestamp = Type.String({ format: 'date-time' });
