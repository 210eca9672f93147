/**
 * Reads a case's stored envelopes and receipts straight from a gateway's Redis and checks them the
 * way a third party would: the envelope's signature over its exact body bytes (with the algorithm of
 * the suite the body names), the receipt's signature, and that the receipt echoes the digest of
 * exactly that envelope. `checkArchiveHistory` checks the same archive with the gateway's history
 * verifier (gateway/envelope/history.ts: chain and revocation as of each message's signing time).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { createRedisClient } from '../../gateway/store/connect.js';
import { Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import { createKeys } from '../../gateway/store/keys.js';
import { verifyArchive, type ArchivedMessage } from '../../gateway/envelope/history.js';
import { TrustStore } from '../../gateway/envelope/trust-store.js';
import { isSuiteName, SIGNATURE_SUITES } from '../../certs/suites.js';

export interface ArchiveCheck {
  messageId: string;
  /** The suites the envelope and receipt bodies name. */
  envelopeSuite: string;
  receiptSuite: string | undefined;
  envelopeValid: boolean;
  receiptValid: boolean;
  receiptMatches: boolean;
}

const suiteOf = (s: Signed): string => String((JSON.parse(s.body.toString('utf8')) as { suite?: unknown }).suite);

/** The signature by the algorithm of the suite the body names (the body is what was signed). */
function signatureValid(s: Signed): boolean {
  const leaf = s.certChain[0];
  const suite = suiteOf(s);
  if (!leaf || !isSuiteName(suite)) return false;
  return SIGNATURE_SUITES[suite].verify(s.body, new X509Certificate(leaf).publicKey, s.signature);
}

/** Every stored message of the case, verified at its signing time against the trust store in `trustDir`. */
export async function checkArchiveHistory(redisUrl: string, prefix: string, caseNo: string, trustDir: string): Promise<ArchivedMessage[]> {
  const redis = createRedisClient({ url: redisUrl, cluster: false }, { lazyConnect: true });
  await redis.connect();
  try {
    return verifyArchive(await redis.hgetallBuffer(createKeys(prefix).case(caseNo).archive), new TrustStore(trustDir));
  } finally {
    redis.disconnect();
  }
}

/** `cluster`: `redisUrl` is one node of a Redis Cluster (tests/helpers/redis-cluster.ts). */
export async function checkArchive(redisUrl: string, prefix: string, caseNo: string, opts: { cluster?: boolean } = {}): Promise<ArchiveCheck[]> {
  const redis = createRedisClient({ url: redisUrl, cluster: opts.cluster ?? false }, { lazyConnect: true });
  await redis.connect();
  try {
    const fields = await redis.hgetallBuffer(createKeys(prefix).case(caseNo).archive);
    const checks: ArchiveCheck[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (!field.startsWith('env:')) continue;
      const messageId = field.slice(4);
      const envelope = Signed.decode(value);
      const receiptBytes = fields[`rcpt:${messageId}`];
      const receipt = receiptBytes ? Signed.decode(receiptBytes) : undefined;
      const echoed = receipt ? (JSON.parse(receipt.body.toString('utf8')) as { envelopeSha256: string; envelopeId: string }) : undefined;
      checks.push({
        messageId,
        envelopeSuite: suiteOf(envelope),
        receiptSuite: receipt ? suiteOf(receipt) : undefined,
        envelopeValid: signatureValid(envelope),
        receiptValid: receipt ? signatureValid(receipt) : false,
        receiptMatches: !!echoed && echoed.envelopeId === messageId && echoed.envelopeSha256 === createHash('sha256').update(envelope.body).digest('hex'),
      });
    }
    return checks;
  } finally {
    redis.disconnect();
  }
}
