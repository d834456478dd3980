/**
 * Who is signed in to the management plane. The session plugin sets
 * `request.admin` for every `/manage/v1` route that needs a session; route
 * modules registered under it (keys, audit, webhook endpoints) read it and
 * scope everything to `admin.orgId`.
 */
export interface AdminPrincipal {
  adminId: string;
  orgId: string;
  email: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    admin: AdminPrincipal | null;
  }
}
