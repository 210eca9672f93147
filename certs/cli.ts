/**
 * npm run certs -- [--dir certs/dev] [--revoke <path-to-cert.pem>] [--partner <id>]...
 *
 * Entry point only: parses arguments, calls dev-pki, prints what happened in plain words.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDevStaffFiles } from '../gateway/staff/dev-accounts.js';
import { DEFAULT_PARTNERS, ensureDevPki, revokeCertificate, type DevPkiChange } from './dev-pki.js';

const USAGE = `Usage: npm run certs -- [--dir <folder>] [--partner <id>]... [--revoke <cert.pem>] [--staff <folder>]

  --dir <folder>      where the dev PKI lives (default certs/dev, git-ignored)
  --partner <id>      partner certificates to keep (default: ${DEFAULT_PARTNERS.join(', ')}); repeatable
  --revoke <cert.pem> revoke that certificate: add its serial to ca/revoked.json and re-issue the CRL
  --staff <folder>    also write development staff accounts (<folder>/<district>.yaml, password in
                      gateway/staff/dev-accounts.ts) where missing, for KC_STAFF_FILE
  --help              this text`;

/** A path relative to the working folder when inside it, absolute otherwise. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

/** One line per file written, relative to the PKI folder. */
function describe(changes: DevPkiChange[], dir: string): string[] {
  return changes.map((c) => {
    const why = c.reason === 'missing' ? '' : ` — ${c.reason}`;
    return `  ${path.relative(dir, c.path)}: ${c.what}${why}`;
  });
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string', default: 'certs/dev' },
      revoke: { type: 'string' },
      partner: { type: 'string', multiple: true },
      staff: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const dir = path.resolve(values.dir);

  if (values.revoke !== undefined) {
    const r = revokeCertificate(dir, path.resolve(values.revoke));
    if (r.alreadyRevoked) {
      console.log(`${values.revoke} (serial ${r.serialHex}) was already revoked.`);
    } else {
      console.log(`Revoked ${values.revoke}: ${r.subject}, serial ${r.serialHex}.`);
    }
    console.log(r.changes.length ? describe(r.changes, dir).join('\n') : `  The CRL ${shown(r.crlPath)} already lists it.`);
    console.log('Gateways pick up the new CRL from the trust store; run `npm run certs` to issue a replacement.');
    return 0;
  }

  const { changes, paths } = ensureDevPki(dir, values.partner ? { partners: values.partner } : {});
  const where = shown(paths.dir);
  if (changes.length === 0) {
    console.log(`The dev PKI in ${where} is complete and current; nothing to do.`);
  } else {
    console.log(`Dev PKI in ${where}: ${changes.length} file(s) written.`);
    console.log(describe(changes, dir).join('\n'));
  }
  console.log(`Trust store: ${shown(paths.trust.rootsDir)} (roots), ${shown(paths.trust.crlsDir)} (CRLs).`);
  const sm2 = paths.districts.liwan.signingSm2;
  console.log(
    `SM2 envelope signing: KC_SIGNATURE_SUITE=SM2-SM3 KC_SIGNING_CERT=${shown(sm2.cert)} KC_SIGNING_KEY=${shown(sm2.key)} (likewise for nanhai; TLS stays on gateway.pem).`,
  );
  if (values.staff !== undefined) {
    const { written } = await ensureDevStaffFiles(path.resolve(values.staff));
    console.log(written.length ? `Development staff accounts written: ${written.map(shown).join(', ')}.` : `Development staff accounts in ${shown(values.staff)} are in place.`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`certs: ${(err as Error).message}`);
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(USAGE);
    process.exitCode = 1;
  },
);
