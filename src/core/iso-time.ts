/** Epoch milliseconds as the ISO-8601 UTC text every API answer uses; null stays null. */
export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
