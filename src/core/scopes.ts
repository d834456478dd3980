/** The scopes catalogue (SPEC section 3). No scope implies another. */
export const SCOPES = {
  'knowledge:read': 'List and read knowledge-base articles',
  'knowledge:write': 'Create, update, upsert and delete articles',
  'contacts:read': 'List and read contacts',
  'contacts:write': 'Create, update, upsert and delete contacts',
  'conversations:read': 'List and read conversations and their messages',
  'conversations:write': 'Create conversations, post messages, change status',
  'analytics:read': 'Read conversation analytics',
  'channels:api': 'Use the API Channel (together with conversations:write)',
} as const;

export type Scope = keyof typeof SCOPES;
export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

export function isScope(name: string): name is Scope {
  return Object.prototype.hasOwnProperty.call(SCOPES, name);
}

/** Splits and validates a scope list; returns the unknown names when there are any. */
export function parseScopes(names: readonly string[]): { scopes: Scope[] } | { unknown: string[] } {
  const cleaned = names.map((n) => n.trim()).filter((n) => n.length > 0);
  const unknown = cleaned.filter((n) => !isScope(n));
  if (unknown.length > 0) return { unknown };
  return { scopes: [...new Set(cleaned as Scope[])].sort() };
}

export function missingScopes(granted: ReadonlySet<string>, required: readonly Scope[]): Scope[] {
  return required.filter((s) => !granted.has(s));
}
