/** The scope and tier catalogues, imported from the server's own pure modules so the dashboard can never disagree with them. */
import { SCOPES, type Scope } from '../../src/core/scopes.js';
import { TIERS, TIER_NAMES, type Tier } from '../../src/core/limits.js';

const RESOURCE_LABEL: Record<string, string> = {
  knowledge: 'Knowledge base',
  contacts: 'Contacts',
  conversations: 'Conversations',
  analytics: 'Analytics',
  channels: 'Channels',
};

export interface ScopeGroup {
  resource: string;
  label: string;
  scopes: { name: Scope; description: string }[];
}

export function scopeGroups(): ScopeGroup[] {
  const groups = new Map<string, ScopeGroup>();
  for (const [name, description] of Object.entries(SCOPES) as [Scope, string][]) {
    const resource = name.split(':')[0]!;
    const group = groups.get(resource) ?? { resource, label: RESOURCE_LABEL[resource] ?? resource, scopes: [] };
    group.scopes.push({ name, description });
    groups.set(resource, group);
  }
  return [...groups.values()];
}

export function scopeDescription(name: string): string {
  return (SCOPES as Record<string, string>)[name] ?? name;
}

export function tiersUpTo(max: string): { name: Tier; perMinute: number; perDay: number; allowed: boolean }[] {
  const ceiling = TIER_NAMES.indexOf(max as Tier);
  return TIER_NAMES.map((name, i) => ({ name, perMinute: TIERS[name].perMinute, perDay: TIERS[name].perDay, allowed: i <= ceiling }));
}
