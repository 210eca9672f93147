/**
 * The audit commands of `kc` (gateway/cli.ts):
 *
 *   audit-verify  [--redis <url>] [--prefix kc] [--district <d>] [--archive <dir>] [--trust <dir>] [--json]
 *     Checks the whole chain (archive files first when --archive is given, then Redis), this
 *     gateway's signed checkpoints against it and the peer's checkpoints it holds. Exit 0 when
 *     everything holds, 1 naming the first broken entry or checkpoint, 2 on bad usage.
 *
 *   audit-archive --out <dir> [--keep <n>] [--redis <url>] [--prefix kc]
 *     Moves the live log's oldest entries (all but the newest n) into a file in <dir>; refuses, and
 *     names the break, when the entries to move do not verify.
 */
import { parseArgs } from 'node:util';
import { createRedisClient } from '../store/connect.js';
import type { RedisClient } from '../store/case-store.js';
import { isDistrict, otherDistrict } from '../domain/district.js';
import { TrustStore } from '../envelope/trust-store.js';
import { createKeys } from '../store/keys.js';
import { defineScripts } from '../store/scripts.js';
import { archiveAuditLog } from './archive.js';
import { verifyAuditLog, type AuditReport } from './verify.js';

export const AUDIT_USAGE = `       kc audit-verify [--redis <url>] [--prefix <p>] [--district liwan|nanhai] [--archive <dir>] [--trust <dir>] [--json]
       kc audit-archive --out <dir> [--keep <n>] [--redis <url>] [--prefix <p>]
  --district defaults to $KC_DISTRICT, --trust to $KC_TRUST_DIR (without it checkpoint signatures are checked, their chains are not).`;

export const AUDIT_COMMANDS = new Set(['audit-verify', 'audit-archive']);

async function withRedis<T>(url: string, fn: (redis: RedisClient) => Promise<T>): Promise<T> {
  // KC_REDIS_CLUSTER as for the gateway: the URL is then one node of a Redis Cluster.
  const redis = createRedisClient({ url, cluster: process.env.KC_REDIS_CLUSTER === 'true' }, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

export async function runAuditCommand(command: string, args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      redis: { type: 'string' },
      prefix: { type: 'string' },
      district: { type: 'string' },
      archive: { type: 'string' },
      trust: { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const redisUrl = values.redis ?? process.env.KC_REDIS_URL;
  const keys = createKeys(values.prefix ?? process.env.KC_REDIS_PREFIX ?? 'kc').audit;
  if (!redisUrl) return usage(out, '--redis (or KC_REDIS_URL) is required');

  if (command === 'audit-archive') {
    const keep = values.keep === undefined ? 0 : Number(values.keep);
    if (!values.out || !Number.isInteger(keep) || keep < 0) return usage(out, '--out <dir> is required; --keep is a whole number');
    const result = await withRedis(redisUrl, (redis) => {
      defineScripts(redis);
      return archiveAuditLog({ redis, keys, dir: values.out!, keep });
    });
    if ('refused' in result) {
      out(`REFUSED: entry ${result.refused.seq} is broken (${result.refused.reason}); nothing archived`);
      return 1;
    }
    if ('raced' in result) {
      out('another process archived meanwhile; run again');
      return 1;
    }
    out('file' in result ? `archived ${result.archived} entries to ${result.file}` : 'nothing to archive');
    return 0;
  }

  const district = values.district ?? process.env.KC_DISTRICT;
  if (!district || !isDistrict(district)) return usage(out, '--district (or KC_DISTRICT) must be liwan or nanhai');
  const trustDir = values.trust ?? process.env.KC_TRUST_DIR;
  const report = await withRedis(redisUrl, (redis) =>
    verifyAuditLog({ redis, keys, district, peer: otherDistrict(district), archiveDir: values.archive, trust: trustDir ? new TrustStore(trustDir) : undefined }),
  );
  out(values.json ? JSON.stringify(report, null, 2) : describe(report));
  return report.ok ? 0 : 1;
}

function usage(out: (s: string) => void, problem: string): number {
  out(`kc: ${problem}\nusage:\n${AUDIT_USAGE}`);
  return 2;
}

/** The report for an operator: the verdict first, then what was checked. */
export function describe(r: AuditReport): string {
  const lines = [r.ok ? 'OK: the audit chain is intact' : 'BROKEN: the audit chain does not verify'];
  if (r.firstBreak) lines.push(`first broken entry: seq ${r.firstBreak.seq} (${r.firstBreak.source}): ${r.firstBreak.reason}`);
  lines.push(`entries: ${r.checked} checked of ${r.count}${r.archiveFiles ? `, ${r.archiveFiles} archive file(s)` : ''}`);
  if (r.uncheckedBefore > 0) lines.push(`entries before ${r.uncheckedBefore} are archived and were not checked (give --archive <dir>)`);
  lines.push(`own checkpoints: ${r.checkpoints.matched} of ${r.checkpoints.total} match the chain`);
  for (const p of r.checkpoints.problems) lines.push(`  checkpoint #${p.index}${p.count === undefined ? '' : ` (count ${p.count})`}: ${p.reason}`);
  lines.push(`peer checkpoints held: ${r.peerCheckpoints.total}${r.peerCheckpoints.latest ? `, latest ${r.peerCheckpoints.latest.count} entries at ${r.peerCheckpoints.latest.at}` : ''}`);
  for (const p of r.peerCheckpoints.problems) lines.push(`  peer checkpoint #${p.index}: ${p.reason}`);
  return lines.join('\n');
}
