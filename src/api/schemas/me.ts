import { Type } from '@sinclair/typebox';

/** `GET /v1/me`: the calling key, its limits and remaining budget. */
export const Me = Type.Object({
  id: Type.String(),
  name: Type.String(),
  environment: Type.Union([Type.Literal('production'), Type.Literal('sandbox')]),
  scopes: Type.Array(Type.String()),
  tier: Type.String(),
  limits: Type.Object({ per_minute: Type.Integer(), per_day: Type.Integer() }),
  remaining: Type.Object({ minute: Type.Integer(), day: Type.Integer() }),
  tenant: Type.Object({ id: Type.String(), org_id: Type.String(), environment: Type.String() }),
});
