/**
 * Operator commands. `npm run kc -- <command> …`
 *
 *   export-envelope --case <caseNo> --message <messageId> --out <dir> [--redis <url>] [--prefix kc]
 *     Writes a stored envelope and its receipt as files a third party can check with openssl:
 *     the exact signed body bytes, the DER signature, and the signer's certificate and public key.
 *
 *   audit-verify, audit-archive: see gateway/audit/cli.ts.
 *
 *   staff-hash
 *     Reads a password from standard input (one line) and prints its scrypt hash for KC_STAFF_FILE,
 *     so passwords never appear in a command line or the shell history.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRedisClient } from './store/connect.js';
import { Signed } from '../protos/gen/kuacheng/peer/v1/peer.js';
import { createKeys } from './store/keys.js';
import { isSuiteName, SIGNATURE_SUITES } from '../certs/suites.js';
import { hashPassword } from './staff/passwords.js';
import { AUDIT_COMMANDS, AUDIT_USAGE, runAuditCommand } from './audit/cli.js';

const USAGE = `usage: kc export-envelope --case <caseNo> --message <messageId> --out <dir> [--redis <url>] [--prefix <prefix>]
  --redis defaults to $KC_REDIS_URL, --prefix to $KC_REDIS_PREFIX or "kc".
       kc staff-hash < password.txt   (prints the scrypt hash of the first line, for KC_STAFF_FILE)
\${AUDIT_USAGE}`;

function writeSigned(dir: string, name: string, signed: Signed): string[] {
  const leafDer = signed.certChain[0];
  if (!leafDer) throw new Error(`${name} carries no certificate`);
  const leaf = new X509Certificate(leafDer);
  const files = {
    body: join(dir, `${name}.body.json`),
    sig: join(dir, `${name}.sig.der`),
    cert: join(dir, `${name}.signer.pem`),
    pub: join(dir, `${name}.signer.pubkey.pem`),
    chain: join(dir, `${name}.chain.pem`),
  };
  writeFileSync(files.body, signed.body);
  writeFileSync(files.sig, signed.signature);
  writeFileSync(files.cert, leaf.toString());
  writeFileSync(files.pub, leaf.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(files.chain, signed.certChain.map((d) => new X509Certificate(d).toString()).join(''));
  // The body names the suite it was signed with; the command is that suite's (certs/suites.ts).
  const suite = (JSON.parse(signed.body.toString('utf8')) as { suite?: unknown }).suite;
  if (!isSuiteName(suite)) throw new Error(`${name} names an unknown signature suite ${String(suite)}`);
  const args = SIGNATURE_SUITES[suite].opensslVerifyArgs({ publicKeyPem: files.pub, signatureDer: files.sig, body: files.body });
  return [
    `# ${name}: suite ${suite}, signed by ${leaf.subject.replace(/\n/g, ', ')}`,
    ...(suite === 'SM2-SM3'
      ? ['# SM2 distinguishing ID: empty (the OpenSSL 3 default, which node:crypto signs with), not 1234567812345678']
      : []),
    `openssl ${args.join(' ')}`,
    `openssl verify -CAfile <trusted root.pem> ${files.cert}`,
  ];
}

export async function exportEnvelope(opts: { redisUrl: string; cluster?: boolean; prefix: string; caseNo: string; messageId: string; outDir: string }): Promise<string[]> {
  // `cluster`: the URL is one node of a Redis Cluster (KC_REDIS_CLUSTER), as for the gateway.
  const redis = createRedisClient({ url: opts.redisUrl, cluster: opts.cluster ?? false }, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const keys = createKeys(opts.prefix);
    const [envelope, receipt] = await redis.hmgetBuffer(keys.case(opts.caseNo).archive, `env:${opts.messageId}`, `rcpt:${opts.messageId}`);
    if (!envelope) throw new Error(`no stored envelope ${opts.messageId} in case ${opts.caseNo} (only receipted or received envelopes are stored)`);
    mkdirSync(opts.outDir, { recursive: true });
    const howTo = writeSigned(opts.outDir, 'envelope', Signed.decode(envelope));
    if (receipt) howTo.push(...writeSigned(opts.outDir, 'receipt', Signed.decode(receipt)));
    writeFileSync(join(opts.outDir, 'VERIFY.txt'), `${howTo.join('\n')}\n`);
    return howTo;
  } finally {
    redis.disconnect();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'staff-hash') return printStaffHash();
  if (command && AUDIT_COMMANDS.has(command)) return runAuditCommand(command, rest, (s) => process.stdout.write(`${s}\n`));
  if (command !== 'export-envelope') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { case: { type: 'string' }, message: { type: 'string' }, out: { type: 'string' }, redis: { type: 'string' }, prefix: { type: 'string' } },
  });
  const redisUrl = values.redis ?? process.env.KC_REDIS_URL;
  if (!values.case || !values.message || !values.out || !redisUrl) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const howTo = await exportEnvelope({
    redisUrl,
    cluster: process.env.KC_REDIS_CLUSTER === 'true',
    prefix: values.prefix ?? process.env.KC_REDIS_PREFIX ?? 'kc',
    caseNo: values.case,
    messageId: values.message,
    outDir: values.out,
  });
  process.stdout.write(`written to ${values.out}; to verify:\n${howTo.join('\n')}\n`);
  return 0;
}

async function printStaffHash(): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password.length < 12) {
    process.stderr.write('kc staff-hash: a staff password needs at least 12 characters\n');
    return 2;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`kc: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
