/**
 * The two ways a forward enters the system, as lean as a benchmark client can make them so that
 * the client's own CPU (it shares the machine with both districts) stays small:
 * - staff REST: POST /api/v1/cases with a signed-in session, over keep-alive node:http;
 * - partner gRPC: ForwardApplication with a partner's client certificate, through the stock
 *   proto-loader client a partner would write (tests/helpers/partner-client.ts).
 */
import { Agent, request } from 'node:http';
import { devPkiPaths } from '../../../certs/dev-pki.js';
import type { District } from '../../../gateway/domain/district.js';
import { applicationFor } from '../../helpers/applications.js';
import { partnerClient, tlsFromFiles, toPbRequest, type PartnerApi } from '../../helpers/partner-client.js';
import { signIn } from '../../helpers/staff.js';

export interface IntakeClient {
  /** Forwards one application to `handling`; resolves with the case number. */
  forward(): Promise<string>;
  close(): void;
}

export async function restIntake(httpUrl: string, handling: District): Promise<IntakeClient> {
  const session = await signIn(httpUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const url = new URL('/api/v1/cases', httpUrl);
  const body = Buffer.from(JSON.stringify(applicationFor(handling)));
  const headers = session.headers({ 'content-type': 'application/json', 'content-length': String(body.length) });
  return {
    forward: () =>
      new Promise<string>((resolve, reject) => {
        const req = request(url, { method: 'POST', agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 201) return reject(new Error(`intake answered ${res.statusCode}: ${text.slice(0, 300)}`));
            resolve((JSON.parse(text) as { caseNo: string }).caseNo);
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

export function partnerIntake(partnerAddress: string, gateway: District, pkiDir: string, partnerId: string, handling: District): IntakeClient & { api: PartnerApi } {
  const pki = devPkiPaths(pkiDir);
  const cred = pki.partners[partnerId];
  if (!cred) throw new Error(`no partner credential ${partnerId} in ${pkiDir}`);
  const api = partnerClient({
    address: partnerAddress,
    tls: tlsFromFiles(pki.trust.root, { certPath: cred.cert, keyPath: cred.key }),
    check: { gatewayUri: `urn:kuacheng:gateway:${gateway}` },
  });
  const req = toPbRequest(applicationFor(handling));
  return {
    api,
    forward: async () => (await api.forwardApplication(req)).case_no,
    close: () => api.close(),
  };
}
