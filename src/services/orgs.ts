/** Orgs own a production and a sandbox tenant and at least one admin. */
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Environment } from '../core/keys.js';
import { DEFAULT_TIER, type Tier, isTier } from '../core/limits.js';
import { ApiError } from '../core/problems.js';
import type { Store } from '../store/db.js';
import { deleteSessionsOfAdmin } from '../store/sessions-repo.js';
import { hashPassword, randomPassword } from './passwords.js';

export interface OrgView {
  id: string;
  slug: string;
  name: string;
  max_tier: string;
}

export interface CreatedOrg {
  org: { id: string; slug: string; name: string };
  tenants: { production: { id: string }; sandbox: { id: string } };
  admin: { email: string; password: string };
}

/** Lowercase letters and digits joined by single dashes; `fallback` when nothing is left. */
export function slugify(name: string, fallback = 'org'): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 48)
    // Trim after cutting, so a cut at a dash cannot leave a slug ending in one.
    .replace(/^-+|-+$/g, '');
  return slug || fallback;
}

export interface OrgOptions {
  maxTier?: string | undefined;
  adminEmail?: string | undefined;
}

/** The checks that need no database, so the command line can refuse bad arguments before opening one. */
export function checkOrgInput(name: string, options: OrgOptions = {}): { name: string; maxTier: Tier } {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200) throw new ApiError('invalid_request', 'org name must be 1-200 characters');
  const maxTier = options.maxTier ?? DEFAULT_TIER;
  if (!isTier(maxTier)) throw new ApiError('invalid_request', `unknown tier "${maxTier}" (free, standard, premium, enterprise)`);
  if (options.adminEmail !== undefined) checkEmail(options.adminEmail);
  return { name: trimmed, maxTier };
}

function checkEmail(text: string): string {
  const email = text.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) throw new ApiError('invalid_request', `not an email address: ${email}`);
  return email;
}

export class OrgService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(name: string, options: OrgOptions = {}): Promise<CreatedOrg> {
    const { name: trimmed, maxTier } = checkOrgInput(name, options);
    const now = this.clock.now();
    const slug = await this.freeSlug(slugify(trimmed));
    const email = checkEmail(options.adminEmail ?? `admin@${slug}.example`);
    const password = randomPassword();
    const passwordHash = await hashPassword(password);
    const orgId = newId('org', now);
    const tenants = { production: newId('ten', now), sandbox: newId('ten', now) };
    await this.store.db.transaction().execute(async (tx) => {
      const taken = await tx.selectFrom('admins').select('id').where('email', '=', email).executeTakeFirst();
      if (taken) throw new ApiError('conflict', `an admin with email ${email} already exists`);
      await tx.insertInto('orgs').values({ id: orgId, slug, name: trimmed, max_tier: maxTier, created_at: now }).execute();
      for (const env of ['production', 'sandbox'] as const) {
        await tx.insertInto('tenants').values({ id: tenants[env], org_id: orgId, environment: env, created_at: now }).execute();
      }
      await tx.insertInto('admins').values({ id: newId('adm', now), org_id: orgId, email, password_hash: passwordHash, created_at: now, updated_at: now }).execute();
    });
    return {
      org: { id: orgId, slug, name: trimmed },
      tenants: { production: { id: tenants.production }, sandbox: { id: tenants.sandbox } },
      admin: { email, password },
    };
  }

  /** `<org>` on the command line is an id or a slug. */
  async resolve(idOrSlug: string): Promise<OrgView> {
    const org = await this.store.db
      .selectFrom('orgs')
      .select(['id', 'slug', 'name', 'max_tier'])
      .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
      .executeTakeFirst();
    if (!org) throw new ApiError('not_found', `no org with id or slug "${idOrSlug}"`);
    return org;
  }

  async count(): Promise<number> {
    const row = await this.store.db.selectFrom('orgs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async tenantId(orgId: string, environment: Environment): Promise<string> {
    const row = await this.store.db.selectFrom('tenants').select('id').where('org_id', '=', orgId).where('environment', '=', environment).executeTakeFirstOrThrow();
    return row.id;
  }

  async resetPassword(orgId: string, email: string): Promise<string> {
    const password = randomPassword();
    const passwordHash = await hashPassword(password);
    await this.store.db.transaction().execute(async (tx) => {
      const admin = await tx.selectFrom('admins').select('id').where('org_id', '=', orgId).where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
      if (!admin) throw new ApiError('not_found', `no admin ${email} in this org`);
      await tx.updateTable('admins').set({ password_hash: passwordHash, updated_at: this.clock.now() }).where('id', '=', admin.id).execute();
      // A reset is what an operator does after a suspected compromise: every open dashboard session ends.
      await deleteSessionsOfAdmin(tx, admin.id);
    });
    return password;
  }

  private async freeSlug(base: string): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const candidate = i === 0 ? base : `${base}-${i + 1}`;
      const taken = await this.store.db.selectFrom('orgs').select('id').where('slug', '=', candidate).executeTakeFirst();
      if (!taken) return candidate;
    }
    return `${base}-${Date.now().toString(36)}`;
  }
}
