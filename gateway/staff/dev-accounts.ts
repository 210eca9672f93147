/**
 * Development staff accounts for the local two-district system, docker compose and the tests: per
 * district one account per role and `kc-admin` with all three, all with the same development
 * password. Local use only, like the dev PKI (and written beside it, `npm run certs -- --staff`):
 * a real district writes its own KC_STAFF_FILE with `npm run kc -- staff-hash`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DISTRICT_NAME_ZH, DISTRICTS, type District } from '../domain/district.js';
import { hashPassword } from './passwords.js';
import { ROLE_ZH, type Role } from './roles.js';

export const DEV_STAFF_PASSWORD = 'kuacheng-dev-password';

export const DEV_STAFF: ReadonlyArray<{ username: string; roles: Role[] }> = [
  { username: 'window', roles: ['window'] },
  { username: 'handler', roles: ['handler'] },
  { username: 'supervisor', roles: ['supervisor'] },
  { username: 'kc-admin', roles: ['window', 'handler', 'supervisor'] },
];

/** Writes the staff file of one district. `fast` hashes at the lowest accepted cost (tests only). */
export async function writeDevStaffFile(path: string, district: District, opts: { fast?: boolean } = {}): Promise<void> {
  const cost = opts.fast ? { N: 1024, r: 8, p: 1 } : undefined;
  const hash = await hashPassword(DEV_STAFF_PASSWORD, cost);
  const accounts = DEV_STAFF.map(({ username, roles }) => ({
    username,
    displayName: `${DISTRICT_NAME_ZH[district]}${roles.map((r) => ROLE_ZH[r]).join('/')}`,
    roles,
    passwordHash: hash,
  }));
  writeFileSync(path, `# Development accounts (password: ${DEV_STAFF_PASSWORD}); never use in production.\n${stringify({ accounts })}`, { mode: 0o600 });
}

/** One file per district (`<dir>/<district>.yaml`), kept when present so a changed one survives. */
export async function ensureDevStaffFiles(dir: string): Promise<{ written: string[] }> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const d of DISTRICTS) {
    const path = join(dir, `${d}.yaml`);
    if (existsSync(path)) continue;
    await writeDevStaffFile(path, d);
    written.push(path);
  }
  return { written };
}
