/**
 * Fault: two gateway processes of one district (Nanhai) on one Redis — same KC_REDIS_URL and key
 * prefix, own ports — with Liwan's peer address pointing at one of them. Cases flow both ways
 * (Nanhai's intake through either replica), status changes flow back, and every case Nanhai
 * handles gets a pre-warning at once (KC_PREWARN_DAYS wider than the promised limit) while both
 * replicas watch deadlines and deliver card notifications to a webhook.
 *
 * Invariants:
 * - no envelope sent twice: Liwan logs each arrival of an envelope (applied, held or duplicate),
 *   and each message id arrives exactly once; each is receipted once across both Nanhai replicas
 *   (and both of them did deliver some); likewise for Liwan's envelopes arriving at Nanhai;
 * - no card sent twice: exactly one pre-warning per case, in its events on both sides and in the
 *   card list, and the webhook receives one notification (one Idempotency-Key, one POST) per card;
 * - nothing lost or doubled, every receipt valid, no dead letters, deadlines of running cases
 *   unchanged, audit chain intact, no personal data in any replica's log.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { getJson, postJson } from '../helpers/applications.js';
import { faultApplication } from '../helpers/fault-applications.js';
import { expectDeadlinesUnchanged, runningClockCases, snapshotDeadlines, type DeadlineSnapshot } from '../helpers/fault-deadlines.js';
import { sleep } from '../helpers/fault-forwards.js';
import { CaseLedger, DISTRICT_PAIR, expectNothingLostOrDoubled, forEachLimited, type KnownCase } from '../helpers/fault-invariants.js';
import { countBy, ENVELOPE_ARRIVALS, ENVELOPE_RECEIPTED, logLines, repeated } from '../helpers/fault-logs.js';
import { itKeepsPersonalDataOutOfLogs } from '../helpers/fault-privacy.js';
import { eventually } from '../helpers/gateways.js';
import type { ManagedProcess } from '../../scripts/local-system.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

const PER_DIRECTION = 16;

let sys: SystemUnderTest;
let replica: { process: ManagedProcess; httpUrl: string };
const ledger = new CaseLedger();
let deadlines: DeadlineSnapshot;

/** The card webhook: every POST, as received. */
const notifications: { key: string; caseNo: string; card: string }[] = [];
let webhook: Server;

beforeAll(async () => {
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const card = JSON.parse(body) as { caseNo: string; card: string };
      notifications.push({ key: String(req.headers['idempotency-key']), caseNo: card.caseNo, card: card.card });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  const port = (webhook.address() as { port: number }).port;
  sys = await startSystem({
    KC_PREWARN_DAYS: '30',
    KC_DEADLINE_POLL_MS: '100',
    KC_NOTIFY_URL: `http://127.0.0.1:${port}/cards`,
    KC_NOTIFY_SECRET: 'fault-suite-notify-secret-0123',
    KC_NOTIFY_POLL_MS: '100',
  });
  replica = await sys.startReplica('nanhai', 'second');
  deadlines = await snapshotDeadlines(sys, await runningClockCases(sys, ledger, 1));
}, 150_000);

afterAll(async () => {
  await sys?.cleanup();
  await new Promise((r) => webhook?.close(r));
});

const preWarnings = (c: Record<string, any> | undefined) => (c?.events ?? []).filter((e: any) => e.kind === 'card_issued' && e.data?.card === 'pre_warning');

describe('two replicas of one district on one Redis', () => {
  it('when cases flow both ways through two Nanhai replicas and their deadlines fall due, then no envelope and no card is sent twice', async () => {
    // Nanhai's windows reach either replica; Liwan's gateway talks to the first one only.
    const nanhaiDoors = [sys.districts.nanhai.httpUrl, replica.httpUrl];
    const cases: KnownCase[] = [];
    await forEachLimited(
      Array.from({ length: PER_DIRECTION * 2 }, (_, i) => i),
      4,
      async (i) => {
        const origin: District = i % 2 === 0 ? 'liwan' : 'nanhai';
        const door = origin === 'liwan' ? sys.districts.liwan.httpUrl : nanhaiDoors[Math.floor(i / 2) % 2]!;
        const r = await postJson(`${door}/api/v1/cases`, faultApplication(otherDistrict(origin), i));
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        cases.push(ledger.add(origin, r.body.caseNo as string));
      },
    );
    await expectNothingLostOrDoubled(sys, ledger, { cases, state: 'registered' });

    // Every case accepted by its handling system (status envelopes back, cards for Nanhai's),
    // and every other one of Nanhai's decided as well.
    const handledByNanhai = cases.filter((c) => c.origin === 'liwan');
    await forEachLimited(cases, 4, async ({ origin, caseNo }) => {
      const handling = otherDistrict(origin);
      const localNo = (await sys.getCase(handling, caseNo))!.handlingLocalNo as string;
      await sys.advance(handling, localNo, 'accept');
    });
    for (const [i, { caseNo }] of handledByNanhai.entries()) {
      if (i % 2 === 1) await sys.advance('nanhai', (await sys.getCase('nanhai', caseNo))!.handlingLocalNo as string, 'approve');
    }
    await forEachLimited(cases, 4, async ({ caseNo }) => {
      for (const d of DISTRICT_PAIR) await eventually(async () => (await sys.getCase(d, caseNo))?.state !== 'registered', `${caseNo} moved on at ${d}`, 60_000);
    });
    for (const { caseNo } of handledByNanhai) {
      await eventually(async () => preWarnings(await sys.getCase('liwan', caseNo)).length > 0, `pre-warning of ${caseNo} at liwan`, 60_000);
      await eventually(async () => notifications.some((n) => n.caseNo === caseNo), `card notification of ${caseNo}`, 30_000);
    }
    await expectNothingLostOrDoubled(sys, ledger, { cases });
    // Time for a second card or a second delivery to show, were either replica to send one.
    await sleep(2_000);

    // Cards: one pre-warning per case everywhere, one notification per card, one POST each.
    const cards = (await getJson(`${sys.districts.nanhai.httpUrl}/api/v1/cards?limit=200`)).body.cards as { caseNo: string; card: string }[];
    for (const { caseNo } of handledByNanhai) {
      for (const d of DISTRICT_PAIR) expect(preWarnings(await sys.getCase(d, caseNo)), `${caseNo} at ${d}`).toHaveLength(1);
      expect(cards.filter((c) => c.caseNo === caseNo && c.card === 'pre_warning'), caseNo).toHaveLength(1);
      const mine = notifications.filter((n) => n.caseNo === caseNo && n.card === 'pre_warning');
      expect(mine.length, `webhook POSTs for the pre-warning of ${caseNo}`).toBe(1);
    }
    expect(repeated(countBy(notifications.map((n) => ({ msg: 'post', key: n.key })), ['post'], 'key')), 'webhook POSTs repeated').toEqual([]);

    // Envelopes: each arrives once, each is receipted once across both replicas, both replicas sent.
    const nanhaiFiles = [sys.districts.nanhai.gateway.logFile, replica.process.logFile];
    const liwanFile = sys.districts.liwan.gateway.logFile;
    // Nanhai's logs first: whatever they show receipted has arrived at Liwan by the time its log is read.
    const receipted = countBy(logLines(...nanhaiFiles), ENVELOPE_RECEIPTED, 'messageId');
    const arrivedAtNanhai = countBy(logLines(...nanhaiFiles), ENVELOPE_ARRIVALS, 'messageId');
    const arrivedAtLiwan = countBy(logLines(liwanFile), ENVELOPE_ARRIVALS, 'messageId');
    expect(receipted.size, 'envelopes Nanhai delivered').toBeGreaterThanOrEqual(handledByNanhai.length * 2);
    expect(repeated(receipted), 'envelopes receipted more than once at nanhai').toEqual([]);
    expect(repeated(arrivedAtLiwan), 'envelopes arriving at liwan more than once').toEqual([]);
    expect([...receipted.keys()].filter((id) => !arrivedAtLiwan.has(id)), 'receipted but never arrived').toEqual([]);
    expect(repeated(arrivedAtNanhai), 'envelopes arriving at nanhai more than once').toEqual([]);
    for (const file of nanhaiFiles) expect(countBy(logLines(file), ENVELOPE_RECEIPTED, 'messageId').size, `envelopes delivered by ${file}`).toBeGreaterThan(0);

    await expectDeadlinesUnchanged(sys, deadlines);
  }, 240_000);

  itKeepsPersonalDataOutOfLogs(() => sys.gatewayLogs());
});
