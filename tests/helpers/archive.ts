/**
 * Reads a case's stored envelopes and receipts straight from a gateway's Redis and checks them the
 * way a third party would: the envelope's signature over its exact body bytes, the receipt's
 * signature, and that the receipt echoes the digest of exactly that envelope.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import { Redis } from 'ioredis';
import { Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import { createKeys } from '../../gateway/store/keys.js';

export interface ArchiveCheck {
  messageId: string;
  envelopeValid: boolean;
  receiptValid: boolean;
  receiptMatches: boolean;
}

function signatureValid(s: Signed): boolean {
  const leaf = s.certChain[0];
  if (!leaf) return false;
  return verify('sha256', s.body, new X509Certificate(leaf).publicKey, s.signature);
}

export async function checkArchive(redisUrl: string, prefix: string, caseNo: string): Promise<ArchiveCheck[]> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
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
