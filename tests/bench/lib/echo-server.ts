/**
 * The echo server of tests/bench/baselines.bench.ts, in a process of its own as a peer gateway is:
 *
 *   node --import tsx tests/bench/lib/echo-server.ts <pki dir>
 *
 * It presents the nanhai gateway's certificate chain and requires a client certificate chaining to
 * the trust store's roots, with the very credentials builder the gateways use (gateway/grpc/tls.ts),
 * binds a free loopback port and prints "echo listening on <port>". SIGTERM stops it.
 */
import { Server, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { join } from 'node:path';
import { devPkiPaths } from '../../../certs/dev-pki.js';
import { TrustStore } from '../../../gateway/envelope/trust-store.js';
import { loadTlsMaterial, serverCredentials } from '../../../gateway/grpc/tls.js';
import { ECHO_SERVICE } from './echo-service.js';

const pkiDir = process.argv[2];
if (!pkiDir) throw new Error('usage: echo-server.ts <pki dir>');
const pki = devPkiPaths(pkiDir);
const trust = new TrustStore(join(pki.dir, 'trust'));
const tls = loadTlsMaterial({ certPath: pki.districts.nanhai.chain, keyPath: pki.districts.nanhai.key, rootsPem: trust.rootCertificatesPem() });

const server = new Server();
server.addService(ECHO_SERVICE, {
  echo: (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => done(null, call.request),
});
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', serverCredentials(tls), (err, bound) => (err ? reject(err) : resolve(bound))),
);
console.log(`echo listening on ${port}`);
process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
