/**
 * The staff accounts of one district, from the operator's file (KC_STAFF_FILE, YAML or JSON):
 *
 *   accounts:
 *     - username: lw-window-01
 *       displayName: 收件窗口 01
 *       roles: [window]
 *       passwordHash: scrypt$32768$8$1$…   # npm run kc -- staff-hash
 *       disabled: false                     # optional: keeps the record, refuses the sign-in
 *
 * Read at start; a bad file stops the gateway naming the entry. The file holds hashes only.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isPasswordHash } from './passwords.js';
import { ROLES, type Role } from './roles.js';

export interface StaffAccount {
  username: string;
  displayName: string;
  roles: Role[];
  passwordHash: string;
  disabled: boolean;
}

const accountSchema = z
  .object({
    username: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'lower-case letters, digits, dot, dash or underscore (2–64)'),
    displayName: z.string().trim().min(1).max(64),
    roles: z.array(z.enum(ROLES)).min(1),
    passwordHash: z.string().refine(isPasswordHash, 'must be a scrypt hash from `npm run kc -- staff-hash`'),
    disabled: z.boolean().default(false),
  })
  .strict();

const fileSchema = z.object({ accounts: z.array(accountSchema) }).strict();

export class StaffFileError extends Error {
  override name = 'StaffFileError';
}

export interface StaffDirectory {
  find(username: string): StaffAccount | undefined;
  readonly size: number;
}

export function staffDirectory(accounts: StaffAccount[]): StaffDirectory {
  const byName = new Map<string, StaffAccount>();
  for (const a of accounts) {
    if (byName.has(a.username)) throw new StaffFileError(`staff account ${a.username} is listed twice`);
    byName.set(a.username, a);
  }
  return { find: (u) => byName.get(u), size: byName.size };
}

export function loadStaffDirectory(file: string | undefined): StaffDirectory {
  if (file === undefined) return staffDirectory([]);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new StaffFileError(`staff file ${file} cannot be read: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new StaffFileError(`staff file ${file} is invalid:\n${lines.join('\n')}`);
  }
  return staffDirectory(parsed.data.accounts);
}
