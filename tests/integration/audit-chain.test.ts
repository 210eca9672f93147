/**
 * The audit chain across two running gateways: envelopes, receipts, staff actions and partner calls
 * go into each gateway's hash-linked log; checkpoints are signed and swapped with the peer; the
 * verifier (library and `kc audit-verify`) finds the chain intact, then names the first entry an
 * edit in Redis broke, catches a rewrite that re-hashed the whole chain, and still verifies once
 * the oldest entries have moved to archive files.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveAuditLog, listArchiveFiles } from '../../gateway/audit/archive.js';
import { entryHash, type AuditEntry } from '../../gateway/audit/chain.js';
import { verifyAuditLog } from '../../gateway/audit/verify.js';
import { DISTRICTS, otherDistrict, type District } from '../../gateway/domain/district.js';
import { TrustStore } from '../../gateway/envelope/trust-store.js';
import { defineScripts } from '../../gateway/store/scripts.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { partnerClient, toPbRequest } from '../helpers/partner-client.js';
import { REPO_ROOT } from '../helpers/process.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

const run = promisify(execFile);
let redis: RedisHandle;
let sys: TwoGateways;
let client: Redis;
let archiveDir: string;

const keysOf = (d: District) => sys.gateways[d].ctx.store.keys.audit;
const prefixOf = (d: District) => sys.gateways[d].ctx.config.KC_REDIS_PREFIX;
const trust = () => new TrustStore(join(sys.pki.dir, 'trust'));
const verify = (d: District, archive?: string) =>
  verifyAuditLog({ redis: client, keys: keysOf(d), district: d, peer: otherDistrict(d), trust: trust(), ...(archive ? { archiveDir: archive } : {}) });
const entries = async (d: District): Promise<AuditEntry[]> => (await client.lrange(keysOf(d).log, 0, -1)).map((l) => JSON.parse(l) as AuditEntry);

async function kc(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'gateway/cli.ts', ...args], { cwd: REPO_ROOT });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  defineScripts(client);
  archiveDir = mkdtempSync(join(tmpdir(), 'kc-audit-archive-'));
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'audit', env: { KC_AUDIT_CHECKPOINT_SECONDS: '1', KC_AUDIT_WARN_ENTRIES: '6' } });

  // Traffic of every kind the log records: window forwards both ways (staff actions, envelopes,
  // receipts), a status coming back, and partner calls.
  const cases: { origin: District; caseNo: string }[] = [];
  for (const origin of [...DISTRICTS, ...DISTRICTS]) {
    const r = await postJson(`${sys.httpUrl[origin]}/api/v1/cases`, applicationFor(otherDistrict(origin)));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    cases.push({ origin, caseNo: r.body.caseNo as string });
  }
  const kiosk = partnerClient({
    address: `127.0.0.1:${sys.gateways.liwan.ports.partner}`,
    tls: { rootPem: sys.pki.root.certPem, certPem: sys.pki.partners['kiosk-liwan'].certPem, keyPem: sys.pki.partners['kiosk-liwan'].privateKey.export({ type: 'pkcs8', format: 'pem' }) },
    check: { gatewayUri: 'urn:kuacheng:gateway:liwan' },
  });
  const byPartner = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai')));
  await kiosk.getCase(byPartner.case_no as string);
  kiosk.close();
  cases.push({ origin: 'liwan', caseNo: byPartner.case_no as string });
  for (const { origin, caseNo } of cases) {
    await eventually(async () => (await getJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}`)).body.state === 'registered', `${caseNo} registered at ${origin}`, 20_000);
  }
  // Both sides have signed a checkpoint covering traffic (the first, at start, covers none) and
  // hold one of the peer's that does.
  for (const d of DISTRICTS) {
    await eventually(
      async () => {
        const r = await verify(d);
        return r.checkpoints.matched >= 2 && (r.peerCheckpoints.latest?.count ?? 0) > 0;
      },
      `checkpoints at ${d}`,
      20_000,
    );
  }
}, 120_000);

afterAll(async () => {
  await sys?.stop();
  client?.disconnect();
  await redis?.stop();
  rmSync(archiveDir, { recursive: true, force: true });
});

describe('the audit chain of a running gateway', () => {
  it('when envelopes, receipts, staff actions and partner calls happen, then each is an entry linked to the one before', async () => {
    const liwan = await entries('liwan');
    const kinds = new Set(liwan.map((e) => e.kind));
    expect(kinds).toEqual(new Set(['staff.action', 'envelope.sent', 'envelope.received', 'partner.call']));
    expect(liwan.find((e) => e.kind === 'staff.action' && e.method === 'POST' && e.route === '/api/v1/cases')).toMatchObject({ status: 201 });
    expect(liwan.filter((e) => e.kind === 'partner.call').map((e) => (e as { operation: string }).operation)).toEqual(['ForwardApplication', 'GetCase']);
    for (const [i, e] of liwan.entries()) {
      expect(e.seq).toBe(i);
      expect(e.prev).toBe(i === 0 ? '0'.repeat(64) : liwan[i - 1]!.hash);
      expect(e.hash).toBe(entryHash(e));
    }
    // Identifiers and digests only: nothing of the applicant.
    const text = JSON.stringify(liwan);
    const { name, creditCode, phone, address } = applicationFor('nanhai').applicant;
    for (const personal of [name, creditCode, phone, address]) expect(text).not.toContain(personal);
  });

  it('when both gateways are verified, then every entry, own checkpoint and peer checkpoint holds', async () => {
    for (const d of DISTRICTS) {
      const report = await verify(d);
      expect(report, JSON.stringify(report)).toMatchObject({ ok: true, uncheckedBefore: 0 });
      expect(report.checked).toBe(report.count);
      expect(report.checkpoints.problems).toEqual([]);
      expect(report.peerCheckpoints.problems).toEqual([]);
    }
  });

  it('when the live log passes KC_AUDIT_WARN_ENTRIES, then the log warns and diagnostics say so', async () => {
    expect(sys.logs()).toContain('"code":"AUDIT_LOG_NEAR_LIMIT"');
    const diag = await getJson(`${sys.httpUrl.liwan}/api/v1/diagnostics`);
    expect(diag.status).toBe(200);
    expect(diag.body.audit).toMatchObject({ warn: true, warnEntries: 6, lastCheckpoint: { count: expect.any(Number) }, lastPeerCheckpoint: { count: expect.any(Number) } });
    const metrics = await fetch(`${sys.httpUrl.liwan}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^kc_audit_log_entries\{district="liwan"\} [1-9]\d*$/m);
  });
});

describe('verifying and archiving a stopped gateway’s log', () => {
  // The rest edits Redis behind the gateways' backs: stop them, so no append races the edits.
  beforeAll(async () => {
    for (const d of DISTRICTS) await sys.stopGateway(d);
  });

  it('when kc audit-verify runs on an intact log, then it exits 0 and says so', async () => {
    const r = await kc('audit-verify', '--redis', redis.url, '--prefix', prefixOf('nanhai'), '--district', 'nanhai', '--trust', join(sys.pki.dir, 'trust'));
    expect(r.out).toContain('OK: the audit chain is intact');
    expect(r.code).toBe(0);
  });

  it('when the oldest entries are archived to files, then the chain verifies from the files on, and without them says what it skipped', async () => {
    const before = (await verify('liwan')).count;
    const result = await archiveAuditLog({ redis: client, keys: keysOf('liwan'), dir: archiveDir, keep: 3 });
    expect(result).toMatchObject({ archived: before - 3 });
    expect(await client.llen(keysOf('liwan').log)).toBe(3);
    expect(listArchiveFiles(archiveDir)).toHaveLength(1);

    expect(await verify('liwan', archiveDir)).toMatchObject({ ok: true, checked: before, archiveFiles: 1 });
    expect(await verify('liwan')).toMatchObject({ ok: true, checked: 3, uncheckedBefore: before - 3 });
    const cli = await kc('audit-verify', '--redis', redis.url, '--prefix', prefixOf('liwan'), '--district', 'liwan', '--archive', archiveDir);
    expect(cli.code, cli.out).toBe(0);
  });

  it('when one line of an archive file is edited, then the verifier names that entry and the file', async () => {
    const [file] = listArchiveFiles(archiveDir);
    const original = readFileSync(file!.path, 'utf8');
    const lines = original.split('\n');
    lines[1] = lines[1]!.replace(/"seq":1/, '"seq":1,"note":"x"');
    writeFileSync(file!.path, lines.join('\n'));
    try {
      const report = await verify('liwan', archiveDir);
      expect(report.firstBreak).toEqual({ seq: 1, source: file!.name, reason: expect.stringContaining('does not match its hash') });
    } finally {
      writeFileSync(file!.path, original);
    }
  });

  it('when one entry is edited in Redis, then kc audit-verify exits 1 naming that entry', async () => {
    const keys = keysOf('nanhai');
    const at = 4;
    const entry = JSON.parse((await client.lindex(keys.log, at))!) as Record<string, unknown>;
    await client.lset(keys.log, at, JSON.stringify({ ...entry, status: 200, caseNo: 'KC-NH-20260101-000001' }));
    const r = await kc('audit-verify', '--redis', redis.url, '--prefix', prefixOf('nanhai'), '--district', 'nanhai', '--trust', join(sys.pki.dir, 'trust'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('BROKEN');
    expect(r.out).toContain(`first broken entry: seq ${at} (redis): content does not match its hash`);
  });

  it('when an entry is removed, then the entry after it is named', async () => {
    const keys = keysOf('nanhai');
    const report = await verify('nanhai');
    expect(report.firstBreak?.seq).toBe(4);
    // Drop entry 2 (the edit at 4 is later; the first break must now be at 2).
    const all = await client.lrange(keys.log, 0, -1);
    await client.del(keys.log);
    await client.rpush(keys.log, ...all.filter((_, i) => i !== 2));
    expect((await verify('nanhai')).firstBreak).toMatchObject({ seq: 2, reason: expect.stringContaining('holds seq 3') });
  });

  it('when the whole chain is rewritten and re-hashed, then the entries link again but the signed checkpoints catch it', async () => {
    const keys = keysOf('nanhai');
    const all = (await client.lrange(keys.log, 0, -1)).map((l) => JSON.parse(l) as AuditEntry);
    // A forger who can write Redis: re-number and re-hash everything after the removal.
    let prev = '0'.repeat(64);
    const forged = all.map((e, seq) => {
      const unsigned = { ...e, seq, prev } as AuditEntry;
      const hash = entryHash(unsigned);
      prev = hash;
      return { ...unsigned, hash };
    });
    await client.del(keys.log);
    await client.rpush(keys.log, ...forged.map((e) => JSON.stringify(e)));
    await client.hset(keys.head, 'count', forged.length, 'hash', prev);
    const report = await verify('nanhai');
    expect(report.firstBreak).toBeUndefined();
    expect(report.ok, JSON.stringify(report)).toBe(false);
    expect(report.checkpoints.problems.length).toBeGreaterThan(0);
    expect(report.checkpoints.problems[0]!.reason).toMatch(/rewritten after it was signed|entries were removed/);
  });
});
