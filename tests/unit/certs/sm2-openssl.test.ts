/**
 * SM2-with-SM3 envelope signatures against the reference implementation: what node:crypto signs,
 * `openssl dgst -sm3 -verify` accepts (the exact command VERIFY.txt gives), and what openssl signs,
 * the gateway accepts. Also pins the SM2 facts the suite depends on (see certs/suites.ts).
 */
import crypto from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_SUITES, suiteForKey } from '../../../certs/suites.js';
import { canonicalBytes } from '../../../gateway/envelope/canonical.js';
import { openEnvelope, sealEnvelope, type EnvelopeDraft, type Signed } from '../../../gateway/envelope/envelope.js';
import { createSigner } from '../../../gateway/envelope/signer.js';
import { TrustStore } from '../../../gateway/envelope/trust-store.js';
import { createTestPki, type TestPki } from '../../helpers/pki.js';

let tmp: string;
let pki: TestPki;
let trust: TrustStore;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-sm2-openssl-'));
  pki = createTestPki(path.join(tmp, 'pki'));
  trust = new TrustStore(path.join(pki.dir, 'trust'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sm2 = SIGNATURE_SUITES['SM2-SM3'];
const draft = (): EnvelopeDraft => ({
  id: ulid(),
  type: 'status',
  from: 'liwan',
  to: 'nanhai',
  caseNo: 'KC-LW-20260301-000001',
  seq: 2,
  content: { state: 'accepted', localNo: 'LW-1', at: new Date().toISOString(), note: '受理' },
});
const liwanSm2Signer = () => createSigner({ district: 'liwan', privateKey: pki.signingSm2.liwan.privateKey, chain: [pki.signingSm2.liwan.certDer], suite: 'SM2-SM3' });

/** The envelope as the files `kc export-envelope` writes: body, DER signature, signer's public key. */
function writeSignedFiles(name: string, signed: Signed) {
  const files = {
    body: path.join(tmp, `${name}.body.json`),
    signatureDer: path.join(tmp, `${name}.sig.der`),
    publicKeyPem: path.join(tmp, `${name}.pub.pem`),
  };
  fs.writeFileSync(files.body, signed.body);
  fs.writeFileSync(files.signatureDer, signed.signature);
  fs.writeFileSync(files.publicKeyPem, new crypto.X509Certificate(signed.certChain[0]!).publicKey.export({ type: 'spki', format: 'pem' }));
  return files;
}

const openssl = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

describe('SM2-SM3 envelope signatures and openssl', () => {
  it('when node signs an envelope with the SM2 signing key, then the documented openssl dgst -sm3 command verifies it', () => {
    const signed = sealEnvelope(draft(), Date.now(), liwanSm2Signer());
    expect(JSON.parse(signed.body.toString()).suite).toBe('SM2-SM3');
    const args = sm2.opensslVerifyArgs(writeSignedFiles('node-sm2', signed));
    expect(args.slice(0, 2)).toEqual(['dgst', '-sm3']);

    expect(execFileSync('openssl', args, { encoding: 'utf8' })).toContain('Verified OK');
  });

  it('when one byte of the body changes, then the same openssl command fails', () => {
    const signed = sealEnvelope(draft(), Date.now(), liwanSm2Signer());
    const tampered = Buffer.from(signed.body);
    const at = tampered.length - 3;
    tampered.writeUInt8(tampered.readUInt8(at) ^ 0x01, at);
    const r = openssl(sm2.opensslVerifyArgs(writeSignedFiles('node-sm2-tampered', { ...signed, body: tampered })));
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain('Verification failure');
  });

  it('when openssl signs the canonical body with the SM2 key, then node verifies it and the receiver opens the envelope', () => {
    const body = canonicalBytes({ ...JSON.parse(sealEnvelope(draft(), Date.now(), liwanSm2Signer()).body.toString()) });
    const bodyFile = path.join(tmp, 'openssl-made.body.json');
    const sigFile = path.join(tmp, 'openssl-made.sig.der');
    fs.writeFileSync(bodyFile, body);
    execFileSync('openssl', ['dgst', '-sm3', '-sign', pki.signingSm2.liwan.keyPath, '-out', sigFile, bodyFile]);
    const signature = fs.readFileSync(sigFile);

    expect(sm2.verify(body, pki.signingSm2.liwan.x509.publicKey, signature)).toBe(true);
    const opened = openEnvelope(
      { body, signature, certChain: [pki.signingSm2.liwan.certDer] },
      { trust, nowMs: Date.now(), self: 'nanhai', skewMs: 300_000, maxBytes: 1 << 20 },
    );
    expect(opened.parsed.suite).toBe('SM2-SM3');
  });

  it('when openssl is told the GM/T 0009 default ID 1234567812345678, then a node SM2 signature fails: node signs with the empty ID', () => {
    const files = writeSignedFiles('node-sm2-distid', sealEnvelope(draft(), Date.now(), liwanSm2Signer()));
    const args = sm2.opensslVerifyArgs(files);
    expect(openssl([...args.slice(0, -1), '-sigopt', 'distid:1234567812345678', files.body]).status).not.toBe(0);
    expect(openssl([...args.slice(0, -1), '-sigopt', 'distid:', files.body]).stdout).toContain('Verified OK');
  });

  it('when the ECDSA suite signs, then its documented openssl dgst -sha256 command verifies it', () => {
    const ecdsa = createSigner({ district: 'liwan', privateKey: pki.gateways.liwan.privateKey, chain: [pki.gateways.liwan.certDer] });
    const args = SIGNATURE_SUITES['ECDSA-P256-SHA256'].opensslVerifyArgs(writeSignedFiles('node-ecdsa', sealEnvelope(draft(), Date.now(), ecdsa)));
    expect(execFileSync('openssl', args, { encoding: 'utf8' })).toContain('Verified OK');
  });
});

describe('SM2 keys in node:crypto', () => {
  it('when an SM2 key is generated in memory (type "ec"), then the suite refuses it: node would sign ECDSA-with-SM3 with it', () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' });
    expect(sm2.acceptsKey(privateKey)).toBe(false);
    expect(() => sm2.sign(Buffer.from('x'), privateKey)).toThrow(/not an SM2 key/);
    expect(suiteForKey(privateKey)).toBeUndefined();
  });

  it('when the suite generates a pair, then both halves are SM2 keys and sign and verify', () => {
    const { privateKey, publicKey } = sm2.generateKeyPair();
    expect([suiteForKey(privateKey), suiteForKey(publicKey)]).toEqual(['SM2-SM3', 'SM2-SM3']);
    const sig = sm2.sign(Buffer.from('body'), privateKey);
    expect(sm2.verify(Buffer.from('body'), publicKey, sig)).toBe(true);
    expect(sm2.verify(Buffer.from('body!'), publicKey, sig)).toBe(false);
  });

  it('when a suite is handed a key of the other suite, then it verifies as false instead of throwing', () => {
    const sig = sm2.sign(Buffer.from('body'), pki.signingSm2.liwan.privateKey);
    expect(SIGNATURE_SUITES['ECDSA-P256-SHA256'].verify(Buffer.from('body'), pki.signingSm2.liwan.publicKey, sig)).toBe(false);
    expect(sm2.verify(Buffer.from('body'), pki.gateways.liwan.publicKey, sig)).toBe(false);
  });
});
