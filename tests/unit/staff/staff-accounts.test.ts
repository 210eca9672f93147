import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStaffDirectory, StaffFileError } from '../../../gateway/staff/accounts.js';
import { hashPassword, isPasswordHash, verifyPassword } from '../../../gateway/staff/passwords.js';
import { permissionsOf } from '../../../gateway/staff/roles.js';

const FAST = { N: 1024, r: 8, p: 1 };
const dir = mkdtempSync(join(tmpdir(), 'kc-staff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function staffFile(body: string): string {
  const path = join(dir, `staff-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, body);
  return path;
}

describe('passwords', () => {
  it('when a password is hashed, then only that password verifies, and the hash names its cost', async () => {
    const hash = await hashPassword('correct horse battery', FAST);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(isPasswordHash(hash)).toBe(true);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('when the same password is hashed twice, then the salts differ', async () => {
    expect(await hashPassword('same password here', FAST)).not.toBe(await hashPassword('same password here', FAST));
  });

  it('when a stored hash is not ours (plain text, md5, a cost that is not a power of two), then it is refused', async () => {
    for (const bad of ['secret', '5f4dcc3b5aa765d61d8327deb882cf99', 'scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      expect(isPasswordHash(bad)).toBe(false);
      expect(await verifyPassword('secret', bad)).toBe(false);
    }
  });
});

describe('roles', () => {
  it('when a user holds one role, then only its permissions are granted; several roles add up', () => {
    expect(permissionsOf(['window'])).toContain('cases:create');
    expect(permissionsOf(['window'])).not.toContain('supervision:read');
    expect(permissionsOf(['supervisor'])).not.toContain('cases:create');
    expect(permissionsOf(['supervisor'])).not.toContain('handoffs:write');
    expect(permissionsOf(['handler'])).toContain('cases:handle');
    expect(permissionsOf(['window', 'supervisor'])).toEqual(expect.arrayContaining(['cases:create', 'supervision:read']));
  });
});

describe('the staff file', () => {
  it('when the file is valid, then accounts are found by user name, disabled ones kept as such', async () => {
    const hash = await hashPassword('a long password', FAST);
    const directory = loadStaffDirectory(
      staffFile(`accounts:
  - { username: lw-window-01, displayName: 收件一号, roles: [window], passwordHash: "${hash}" }
  - { username: lw-old, displayName: 已离职, roles: [handler], passwordHash: "${hash}", disabled: true }
`),
    );
    expect(directory.size).toBe(2);
    expect(directory.find('lw-window-01')?.roles).toEqual(['window']);
    expect(directory.find('lw-old')?.disabled).toBe(true);
    expect(directory.find('nobody')).toBeUndefined();
  });

  it('when no file is configured, then there are no accounts', () => {
    expect(loadStaffDirectory(undefined).size).toBe(0);
  });

  it('when an entry is bad (unknown role, plain password, duplicate), then loading stops naming it', async () => {
    const hash = await hashPassword('a long password', FAST);
    expect(() => loadStaffDirectory(staffFile(`accounts:\n  - { username: a1, displayName: x, roles: [admin], passwordHash: "${hash}" }\n`))).toThrow(/accounts\.0\.roles/);
    expect(() => loadStaffDirectory(staffFile(`accounts:\n  - { username: a1, displayName: x, roles: [window], passwordHash: "secret" }\n`))).toThrow(/staff-hash/);
    expect(() =>
      loadStaffDirectory(
        staffFile(`accounts:\n  - { username: a1, displayName: x, roles: [window], passwordHash: "${hash}" }\n  - { username: a1, displayName: y, roles: [handler], passwordHash: "${hash}" }\n`),
      ),
    ).toThrow(StaffFileError);
    expect(() => loadStaffDirectory(join(dir, 'missing.yaml'))).toThrow(/cannot be read/);
  });
});
