// @ts-check
/**
 * CRM → Atender contact sync: upserts every record of a CRM export by its CRM id
 * (`external_id`), so running it again updates instead of duplicating. Run it
 * (after `npm run build`) with a `contacts:write` key:
 *
 *   ATENDER_API_KEY=sa_test_... ATENDER_API_URL=http://127.0.0.1:3000 \
 *     node examples/crm-contact-sync.mjs crm-export.json
 *
 * where crm-export.json is `[{"id": 17, "email": "ada@example.com", "name": "Ada", "company": "Acme"}, ...]`.
 */
import { readFile } from 'node:fs/promises';
import { Atender, AtenderError } from 'atender/client';

/** @typedef {{ id: string | number, email?: string, name?: string, phone?: string, company?: string, plan?: string }} CrmRecord */

const atender = new Atender(); // ATENDER_API_KEY, ATENDER_API_URL; 429s are waited out by the SDK
/** @type {CrmRecord[]} */
const records = JSON.parse(await readFile(process.argv[2] ?? 'crm-export.json', 'utf8'));
const tally = { created: 0, updated: 0, failed: 0 };

/** @param {CrmRecord} record */
async function sync(record) {
  try {
    const { created } = await atender.contacts.upsertByExternalId(String(record.id), {
      email: record.email ?? null,
      name: record.name ?? null,
      phone: record.phone ?? null,
      attributes: { company: record.company ?? null, plan: record.plan ?? null, source: 'crm' },
    });
    tally[created ? 'created' : 'updated']++;
  } catch (error) {
    if (!(error instanceof AtenderError)) throw error;
    tally.failed++;
    console.error(`CRM record ${record.id}: ${error.code}: ${error.detail}`);
  }
}

// Four at a time: fast, and gentle with the key's rate limit.
const queue = [...records];
await Promise.all(Array.from({ length: 4 }, async () => {
  for (let record = queue.shift(); record; record = queue.shift()) await sync(record);
}));
console.log(`${tally.created} created, ${tally.updated} updated, ${tally.failed} failed`);
process.exitCode = tally.failed > 0 ? 1 : 0;
