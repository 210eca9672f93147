/**
 * `npm run start:local`: both districts on this machine — two redis-servers (AOF under var/local),
 * two approval-system simulators, two gateways — with dev certificates made if missing.
 * Prints the URLs and stays up until Ctrl-C, then stops every child it started.
 *
 * REDIS_URL_LIWAN / REDIS_URL_NANHAI use existing Redis servers instead of starting them.
 */
import { join } from 'node:path';
import { ensureDevPki } from '../certs/dev-pki.js';
import { DISTRICT_NAME_ZH, DISTRICTS, type District } from '../gateway/domain/district.js';
import { REPO_ROOT, startLocalSystem, type DistrictPorts } from './local-system.js';

const PORTS: Record<District, DistrictPorts> = {
  liwan: { http: 8081, peer: 9443, partner: 9444, approval: 4101, redis: 6391 },
  nanhai: { http: 8082, peer: 9543, partner: 9544, approval: 4102, redis: 6392 },
};

const pkiDir = join(REPO_ROOT, 'certs', 'dev');
const pki = ensureDevPki(pkiDir);
console.log(pki.changes.length ? `dev PKI: made ${pki.changes.map((c) => c.what).join(', ')}` : 'dev PKI: already in place');

const redisUrls: Partial<Record<District, string>> = {};
if (process.env.REDIS_URL_LIWAN) redisUrls.liwan = process.env.REDIS_URL_LIWAN;
if (process.env.REDIS_URL_NANHAI) redisUrls.nanhai = process.env.REDIS_URL_NANHAI;

const system = await startLocalSystem({
  dataDir: join(REPO_ROOT, 'var', 'local'),
  pkiDir,
  ports: PORTS,
  redisUrls,
  onLine: (line) => console.log(line),
});

console.log('\nKuacheng is running (跨城通办 网关已启动):');
for (const d of DISTRICTS) {
  const r = system.districts[d];
  console.log(`  ${DISTRICT_NAME_ZH[d]} (${d})`);
  console.log(`    REST API         ${r.httpUrl}/api/v1/cases`);
  console.log(`    partner gRPC     ${r.partnerAddress} (mutual TLS; certs/dev/partners/kiosk-${d}/)`);
  console.log(`    approval sim     ${r.approvalUrl}`);
  console.log(`    redis            ${r.redisUrl}`);
  console.log(`    logs             var/local/${d}/logs/`);
}
console.log('\nPress Ctrl-C to stop.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await system.stop();
  console.log('stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
