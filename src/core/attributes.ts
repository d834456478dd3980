/** Bounds on a contact's free-form attributes, checked before anything is stored. */
import { type FieldError } from './problems.js';

export const MAX_ATTRIBUTES = 50;
export const MAX_ATTRIBUTE_BYTES = 1024;

export type Attributes = Record<string, unknown>;

/** Applies a patch: keys set to null are removed, others replace. */
export function mergeAttributes(current: Attributes, patch: Attributes): Attributes {
  const merged: Attributes = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** The errors of an attributes object that breaks a bound (empty when it is fine). */
export function attributeErrors(attributes: Attributes, path = 'body.attributes'): FieldError[] {
  const errors: FieldError[] = [];
  const keys = Object.keys(attributes);
  if (keys.length > MAX_ATTRIBUTES) errors.push({ path, message: `must have at most ${MAX_ATTRIBUTES} keys (has ${keys.length})` });
  for (const key of keys) {
    const bytes = Buffer.byteLength(JSON.stringify(attributes[key]) ?? '', 'utf8');
    if (bytes > MAX_ATTRIBUTE_BYTES) errors.push({ path: `${path}.${key}`, message: `must be at most ${MAX_ATTRIBUTE_BYTES} bytes as JSON (is ${bytes})` });
  }
  return errors;
}
