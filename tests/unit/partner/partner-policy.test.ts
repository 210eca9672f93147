/** The partner policy file (KC_PARTNERS_FILE): checked whole at start, deny by default. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import { AppError } from '../../../gateway/errors.js';
import { createLogger } from '../../../gateway/logger.js';
import { DEV_PARTNERS_FILE, loadPartnerPolicy, parsePartnerPolicy, PARTNER_OPERATIONS, PartnerPolicyError } from '../../../gateway/partner/policy.js';

const catalog = loadMatterCatalog();
const dir = mkdtempSync(join(tmpdir(), 'kc-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } }), lines: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return undefined;
}

function problemsOf(text: string): string[] {
  try {
    parsePartnerPolicy(text, 'partners.yaml', { catalog, logger: capture().logger });
  } catch (err) {
    if (err instanceof PartnerPolicyError) return err.problems.map((p) => `${p.where}: ${p.message}`);
    throw err;
  }
  throw new Error('the file was accepted');
}

describe('partner policy', () => {
  it('when a partner is listed, then it may call exactly its operations for exactly its matters', () => {
    const { logger, lines } = capture();
    const policy = parsePartnerPolicy('version: 1\npartners:\n  kiosk-x:\n    operations: [GetCase, ListCases]\n    matters: [KC-M-0001]\n', 'p.yaml', { catalog, logger });
    const grant = policy.authorize('kiosk-x', 'GetCase');
    expect(grant.allowsMatter('KC-M-0001')).toBe(true);
    expect(grant.allowsMatter('KC-M-0002')).toBe(false);
    expect(codeOf(() => grant.requireMatter('KC-M-0002'))).toBe('PARTNER_NOT_ALLOWED');
    expect(codeOf(() => policy.authorize('kiosk-x', 'ForwardApplication'))).toBe('PARTNER_NOT_ALLOWED');
    expect(codeOf(() => policy.authorize('kiosk-y', 'GetCase'))).toBe('PARTNER_NOT_ALLOWED');
    expect(lines().map((l) => [l.level, l.partnerId, l.operation, l.code, l.reason])).toEqual([
      [40, 'kiosk-x', 'GetCase', 'PARTNER_NOT_ALLOWED', 'matter'],
      [40, 'kiosk-x', 'ForwardApplication', 'PARTNER_NOT_ALLOWED', 'operation'],
      [40, 'kiosk-y', 'GetCase', 'PARTNER_NOT_ALLOWED', 'unknown_partner'],
    ]);
  });

  it('when KC_PARTNERS_FILE is unset, then every partner is refused everything and the gateway says so', () => {
    const { logger, lines } = capture();
    const policy = loadPartnerPolicy(undefined, { catalog, logger });
    expect(lines()).toEqual([expect.objectContaining({ level: 40, msg: expect.stringContaining('KC_PARTNERS_FILE is not set') })]);
    for (const op of PARTNER_OPERATIONS) expect(codeOf(() => policy.authorize('kiosk-liwan', op))).toBe('PARTNER_NOT_ALLOWED');
  });

  it('the development policy allows both dev kiosks every operation of the service', () => {
    const policy = loadPartnerPolicy(DEV_PARTNERS_FILE, { catalog, logger: capture().logger });
    expect(policy.partners).toEqual(['kiosk-liwan', 'kiosk-nanhai']);
    for (const id of policy.partners) for (const op of PARTNER_OPERATIONS) expect(policy.authorize(id, op).allowsMatter('KC-M-0005')).toBe(true);
  });

  it('rejects-bad-partners-file: every problem is named with where it is', () => {
    expect(
      problemsOf(
        [
          'version: 1',
          'partners:',
          '  Kiosk_X:',
          '    operations: [GetCase, DeleteEverything]',
          "    matters: ['*', KC-M-0001]",
          '  kiosk-y:',
          '    operations: [GetCase]',
          '    matters: [KC-M-9999]',
          '    extra: 1',
        ].join('\n'),
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^partners\.Kiosk_X: a partner id is lowercase/),
        expect.stringMatching(/^partners\.Kiosk_X\.operations\[1\]: must be one of ForwardApplication/),
        expect.stringMatching(/^partners\.Kiosk_X\.matters: '\*' stands alone/),
        expect.stringMatching(/^partners\.kiosk-y: Unrecognized key/),
      ]),
    );
    expect(problemsOf('version: 1\npartners:\n  kiosk-y:\n    operations: [GetCase]\n    matters: [KC-M-9999]\n')).toEqual([
      'partners.kiosk-y.matters[0]: KC-M-9999 is not a matter of the catalog',
    ]);
    expect(problemsOf('version: 1\npartners:\n  kiosk-y: [\n')[0]).toMatch(/^line \d+, column \d+: /);
    expect(problemsOf('partners: {}\n')).toEqual([expect.stringMatching(/^version: /)]);
  });

  it('rejects-unreadable-partners-file: the file is named', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => loadPartnerPolicy(missing, { catalog, logger: capture().logger })).toThrow(/invalid partners file .*nope\.yaml[\s\S]*cannot be read/);
    const dup = join(dir, 'dup.yaml');
    writeFileSync(dup, 'version: 1\npartners:\n  a:\n    operations: []\n    matters: ["*"]\n  a:\n    operations: []\n    matters: ["*"]\n');
    expect(() => loadPartnerPolicy(dup, { catalog, logger: capture().logger })).toThrow(PartnerPolicyError);
  });
});
