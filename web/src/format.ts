/** Dates and labels as people read them. */
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function when(iso: string | null, never = 'Never'): string {
  if (!iso) return never;
  return absolute.format(new Date(iso));
}

export function ago(iso: string | null, never = 'Never'): string {
  if (!iso) return never;
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 0) return `in ${span(-seconds)}`;
  if (seconds < 45) return 'just now';
  return `${span(seconds)} ago`;
}

function span(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 129_600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

export const ENVIRONMENT_LABEL: Record<string, string> = { production: 'Production', sandbox: 'Sandbox' };
export const STATUS_LABEL: Record<string, string> = { active: 'Active', disabled: 'Disabled', expired: 'Expired', revoked: 'Revoked' };

/** "3 min ago (Nov 26, 2026, 12:54 PM)" or "Never". */
export function lastUsed(iso: string | null): string {
  return `${ago(iso)}${iso ? ` (${when(iso)})` : ''}`;
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const number = new Intl.NumberFormat();
