/** Argon2id (memory-hard, OWASP's first choice) via @node-rs/argon2: a maintained Rust binding with prebuilt binaries. */
import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

export function hashPassword(password: string): Promise<string> {
  // Algorithm 2 = Argon2id; 19 MiB, 2 passes: OWASP's minimum recommended profile.
  return hash(password, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** 24 URL-safe characters (144 bits). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
