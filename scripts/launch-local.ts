/**
 * `npm run start:local`: both districts on this machine — two redis-servers (AOF under var/local),
 * two approval-system simulators, two gateways, one courier (EMS) simulator — with dev
 * certificates made if missing.
 * Prints the URLs and stays up until Ctrl-C, then stops every child it started.
 *
 * REDIS_URL_LIWAN / REDIS_URL_NANHAI use existing Redis servers instead of starting them.
 * KC_LOCAL_PORT_OFFSET shifts every port (to run a second copy beside the first);
 * KC_LOCAL_HOME moves certs/dev and var/local somewhere else.
 */
import { join } from 'node:path';
import { ensureDevPki } from '../certs/dev-pki.js';
import { DISTRICT_NAME_ZH, DISTRICTS, type District } from '../gateway/domain/district.js';
import { LOCAL_STAFF, LOCAL_STAFF_PASSWORD, startLocalSystem, type DistrictPorts } from './local-system.js';
import { REPO_ROOT } from './processes.js';

const offset = Number(process.env.KC_LOCAL_PORT_OFFSET ?? 0);
if (!Number.isInteger(offset) || offset < 0 || offset > 50_000) {
  console.error('KC_LOCAL_PORT_OFFSET must be a whole number from 0 to 50000');
  process.exit(2);
}
const shift = (p: DistrictPorts): DistrictPorts =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v + offset])) as unknown as DistrictPorts;
const PORTS: Record<District, DistrictPorts> = {
  liwan: shift({ http: 8081, peer: 9443, partner: 9444, approval: 4101, redis: 6391 }),
  nanhai: shift({ http: 8082, peer: 9543, partner: 9544, approval: 4102, redis: 6392 }),
};

const home = process.env.KC_LOCAL_HOME;
const pkiDir = home ? join(home, 'certs') : join(REPO_ROOT, 'certs', 'dev');
const dataDir = home ? join(home, 'var') : join(REPO_ROOT, 'var', 'local');
const pki = ensureDevPki(pkiDir);
console.log(pki.changes.length ? `dev PKI: made ${pki.changes.map((c) => c.what).join(', ')}` : 'dev PKI: already in place');

const redisUrls: Partial<Record<District, string>> = {};
if (process.env.REDIS_URL_LIWAN) redisUrls.liwan = process.env.REDIS_URL_LIWAN;
if (process.env.REDIS_URL_NANHAI) redisUrls.nanhai = process.env.REDIS_URL_NANHAI;

const system = await startLocalSystem({
  dataDir,
  pkiDir,
  ports: PORTS,
  courierPort: 4201 + offset,
  redisUrls,
  onLine: (line) => console.log(line),
});

console.log('\nKuacheng is running (跨城通办 网关已启动):');
for (const d of DISTRICTS) {
  const r = system.districts[d];
  console.log(`  ${DISTRICT_NAME_ZH[d]} (${d})`);
  console.log(`    staff console    ${r.httpUrl}/console`);
  console.log(`    REST API         ${r.httpUrl}/api/v1/cases`);
  console.log(`    partner gRPC     ${r.partnerAddress} (mutual TLS; ${join(pkiDir, 'partners', `kiosk-${d}`)}/)`);
  console.log(`    approval sim     ${r.approvalUrl}`);
  console.log(`    redis            ${r.redisUrl}`);
  console.log(`    logs             ${join(dataDir, d, 'logs')}/`);
}
console.log(`  courier (EMS) sim  ${system.courier.url}  (script parcels: POST /_sim/parcels; see courier/README.md)`);
console.log(`  citizen tracking   ${system.districts.liwan.httpUrl}/track   ${system.districts.nanhai.httpUrl}/track`);
console.log(`  staff sign-in      ${LOCAL_STAFF.map((s) => s.username).join(', ')} — password ${LOCAL_STAFF_PASSWORD} (development only)`);
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
