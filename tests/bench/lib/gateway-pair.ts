/**
 * Both districts' gateway contexts in one process, each on its own Redis, wired together without a
 * network: the origin's dispatcher delivers straight into the handling side's receiveEnvelope
 * (gateway/peer/inbound.ts), so every envelope and receipt is really signed, verified and stored
 * verbatim, with none of the gRPC cost. For benchmarks that measure what the store holds, not how
 * fast the wire is (tests/bench/memory.bench.ts).
 *
 * Contexts are the supervision harness's (tests/integration/supervision/harness.ts) with what it
 * leaves out filled in: the district's signer and the trust store from a development PKI, an
 * approval adapter that only knows how to register a case, and logs at the production level (info)
 * into a sink that drops them.
 */
import { answerCheckpoint } from '../../../gateway/audit/checkpointer.js';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ApprovalAdapter } from '../../../adapters/adapter.js';
import { devPkiPaths } from '../../../certs/dev-pki.js';
import type { ManualClock } from '../../../gateway/clock.js';
import type { GatewayContext } from '../../../gateway/context.js';
import type { District } from '../../../gateway/domain/district.js';
import { loadSigner } from '../../../gateway/envelope/signer.js';
import { TrustStore } from '../../../gateway/envelope/trust-store.js';
import { createLogger } from '../../../gateway/logger.js';
import type { PeerClient } from '../../../gateway/peer/client.js';
import { receiveEnvelope } from '../../../gateway/peer/inbound.js';
import { Signed } from '../../../protos/gen/kuacheng/peer/v1/peer.js';
import { createTestContext, dropPrefix, type TestContext } from '../../integration/supervision/harness.js';

export interface BenchGateway {
  ctx: GatewayContext;
  test: TestContext;
  /** Case numbers the approval adapter was asked to register, in order. */
  submitted: string[];
  close(): Promise<void>;
}

export interface GatewayPair {
  liwan: BenchGateway;
  nanhai: BenchGateway;
  /** A peer client that delivers to `to` in this process. */
  peerOf(to: District): PeerClient;
  /** Deletes every key of both gateways and closes their connections. */
  drop(): Promise<void>;
  close(): Promise<void>;
}

const dropLogs = new Writable({ write: (_chunk, _enc, done) => done() });

/** An approval system that registers every case at once and is never asked anything else here. */
function registeringAdapter(district: District, submitted: string[]): ApprovalAdapter {
  const unused = () => Promise.reject(new Error('not used by this benchmark'));
  return {
    district,
    submit: async (s) => {
      submitted.push(s.caseNo);
      return { localNo: `${district === 'nanhai' ? 'NH' : 'LW'}-${s.caseNo.slice(-9)}` };
    },
    changesSince: unused,
    parseCallback: () => [],
    registerCallback: unused,
    getStatus: unused,
    submitSupplement: unused,
    fetchResult: unused,
    health: () => ({ circuit: 'closed', window: { attempts: 0, failures: 0, shortCircuited: 0 } }),
  };
}

async function benchGateway(district: District, url: string, pkiDir: string, name: string, clock: ManualClock): Promise<BenchGateway> {
  const pki = devPkiPaths(pkiDir);
  // The harness's store runs on a client with the gateway's own options (gateway/store/client-options.ts).
  const test = await createTestContext({ url, name: `${name}-${district}`, district, clock });
  const submitted: string[] = [];
  const ctx: GatewayContext = {
    ...test.ctx,
    logger: createLogger({ level: 'info', district, destination: dropLogs }),
    signer: loadSigner({ district, certPath: pki.districts[district].chain, keyPath: pki.districts[district].key }),
    trust: new TrustStore(join(pki.dir, 'trust')),
    adapter: registeringAdapter(district, submitted),
  };
  return {
    ctx,
    test,
    submitted,
    close: () => test.close(),
  };
}

export async function createGatewayPair(opts: { urls: Record<District, string>; pkiDir: string; name: string; clock: ManualClock }): Promise<GatewayPair> {
  const liwan = await benchGateway('liwan', opts.urls.liwan, opts.pkiDir, opts.name, opts.clock);
  const nanhai = await benchGateway('nanhai', opts.urls.nanhai, opts.pkiDir, opts.name, opts.clock);
  const pair: GatewayPair = {
    liwan,
    nanhai,
    peerOf(to) {
      const peer = pair[to].ctx;
      return {
        // What the peer server does with a call: the Signed message as it arrived is what it stores.
        deliver: (envelope) => receiveEnvelope(peer, envelope, Buffer.from(Signed.encode(envelope).finish())),
        exchangeCheckpoint: (mine) => answerCheckpoint(peer, mine),
        probe: async () => true,
        close: () => undefined,
      };
    },
    async drop() {
      await dropPrefix(liwan.test.redis, liwan.test.prefix);
      await dropPrefix(nanhai.test.redis, nanhai.test.prefix);
      await pair.close();
    },
    async close() {
      await liwan.close();
      await nanhai.close();
    },
  };
  return pair;
}
