/**
 * Issuing a card and reading the console's list of them.
 *
 * A card goes, in one Lua step (issueCard-7.lua), to: the case's events as a `card_issued` shared
 * event with its envelope to the origin district (so both districts see it), the console list of
 * this district, and — when a webhook is configured — the durable notification queue the notifier
 * delivers from. A marker per case, card kind and deadline date makes the step happen once, however
 * many watchers, retries or restarts try it. The log line is written by whoever issued it.
 */
import type { CalendarDate } from '../calendar/dates.js';
import type { Matter } from '../catalog/schema.js';
import type { GatewayContext } from '../context.js';
import type { DeadlineView } from '../deadlines/deadline.js';
import type { District } from '../domain/district.js';
import { sharedEventProblem, type SharedEventContent, type SharedEventData } from '../domain/shared-events.js';
import type { EnvelopeDraft } from '../envelope/envelope.js';
import { callScript } from '../store/scripts.js';
import { supervisionKeys } from './keys.js';
import { ROLES, type Role, type RouteSource, type Routing } from './routing.js';
import { CARD_ZH, type CardKind } from './thresholds.js';

/** Cards the console keeps per shard (16 shards); the oldest go first. */
export const CONSOLE_CARDS_PER_SHARD = 10_000;
export const MAX_LIST_LIMIT = 200;

export interface CardRecipient {
  role: Role;
  staffId: string;
  name?: string;
}

/** A card as the console lists it and the webhook carries it. */
export interface Card {
  /** ULID; also the notification id and the webhook's idempotency key. */
  id: string;
  card: CardKind;
  caseNo: string;
  matterId: string;
  /** The handling district, whose officers answer for the deadline (this gateway). */
  district: District;
  department: string;
  deadline: CalendarDate;
  /** Working days left when issued (negative when overdue). */
  remainingDays: number;
  issuedAt: string;
  routedBy: RouteSource;
  recipients: CardRecipient[];
}

/** The webhook body (JSON): signed as sent, byte for byte. */
export interface CardNotificationBody extends Card {
  type: 'kuacheng.card_issued';
}

/** What the notification hash holds per queued webhook delivery. */
export interface QueuedNotification {
  caseNo: string;
  cardId: string;
  card: CardKind;
  /** The exact body every attempt sends. */
  body: string;
  attempts: number;
  lastError?: string;
  lastAttemptAt?: string;
}

export type IssueOutcome =
  | { outcome: 'ISSUED'; card: Card; seq: number }
  | { outcome: 'DUP'; cardId: string }
  | { outcome: 'COMPLETED'; state: string }
  | { outcome: 'CASE_NOT_FOUND' };

export interface IssueInput {
  caseNo: string;
  matter: Matter;
  kind: CardKind;
  view: DeadlineView & { deadline: CalendarDate };
  routing: Routing;
  /** Whether a webhook delivery is queued (KC_NOTIFY_URL set). */
  webhook: boolean;
}

/** The shared event id of a card: the same for every attempt at the same card and deadline. */
export const cardEventId = (kind: CardKind, deadline: CalendarDate) => `card:${kind}:${deadline}`;

export function recipientsOf(routing: Routing, department: string): { recipients: CardRecipient[]; source: RouteSource } {
  const { route, source } = routing.routeFor(department);
  if (!route) return { recipients: [], source };
  return { recipients: ROLES.map((role) => ({ role, ...route[role] })), source };
}

export async function issueCard(ctx: GatewayContext, input: IssueInput): Promise<IssueOutcome> {
  const { caseNo, matter, kind, view } = input;
  const nowMs = ctx.clock.now();
  const nowIso = new Date(nowMs).toISOString();
  const department = matter.districts[ctx.district].department;
  const { recipients, source } = recipientsOf(input.routing, department);
  const cardId = ctx.newId();
  const card: Card = {
    id: cardId,
    card: kind,
    caseNo,
    matterId: matter.id,
    district: ctx.district,
    department,
    deadline: view.deadline,
    remainingDays: view.remainingDays,
    issuedAt: nowIso,
    routedBy: source,
    recipients,
  };

  const eventId = cardEventId(kind, view.deadline);
  const data: SharedEventData<'card_issued'> = { card: kind, deadline: view.deadline, remainingDays: view.remainingDays };
  const content: SharedEventContent = { kind: 'card_issued', eventId, at: nowIso, note: `${CARD_ZH[kind]}：办理期限 ${view.deadline}`, data };
  const problem = sharedEventProblem(content);
  if (problem) throw new Error(`refusing to send an invalid card_issued event: ${problem}`);
  const messageId = ctx.newId();
  const draft: Omit<EnvelopeDraft, 'seq'> = { id: messageId, type: 'event', from: ctx.district, to: ctx.peer, caseNo, content };
  const { eventId: _id, ...event } = content;

  const body: CardNotificationBody = { type: 'kuacheng.card_issued', ...card };
  const notification: QueuedNotification = { caseNo, cardId, card: kind, body: JSON.stringify(body), attempts: 0 };

  const store = ctx.store;
  const k = store.keys.case(caseNo);
  const sv = supervisionKeys(store.keys).shardFor(caseNo);
  const reply = (await callScript(
    store.redis,
    'issueCard',
    [k.record, k.events, store.keys.shardFor(caseNo).outbox, sv.notify, sv.notifications, sv.cards, sv.card],
    [
      caseNo,
      `card:${kind}:${view.deadline}`,
      cardId,
      eventId,
      JSON.stringify({ ...event, eventId }),
      messageId,
      JSON.stringify(draft),
      nowMs,
      nowIso,
      store.keys.caseEventsChannel,
      ctx.district,
      ctx.peer,
      JSON.stringify(card),
      input.webhook ? JSON.stringify(notification) : '',
      CONSOLE_CARDS_PER_SHARD,
    ],
  )) as [string, (string | number)?];
  switch (reply[0]) {
    case 'ISSUED':
      return { outcome: 'ISSUED', card, seq: Number(reply[1]) };
    case 'DUP':
      return { outcome: 'DUP', cardId: String(reply[1]) };
    case 'COMPLETED':
      return { outcome: 'COMPLETED', state: String(reply[1]) };
    case 'CASE_NOT_FOUND':
      return { outcome: 'CASE_NOT_FOUND' };
    default:
      throw new Error(`issueCard returned ${String(reply[0])}`);
  }
}

export interface ListCardsOptions {
  /** At most this many (1–200). */
  limit: number;
  /** A card id from an earlier page: only cards issued before it. */
  before?: string;
}

/**
 * The cards this district issued, newest first (the staff console's list). Pages with `before` set
 * to the last id of the previous page. Each shard is read from the cursor down, so a page costs
 * 16 range reads of at most `limit` ids, whatever the list's length.
 */
export async function listCards(ctx: GatewayContext, opts: ListCardsOptions): Promise<Card[]> {
  const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.trunc(opts.limit)));
  const redis = ctx.store.redis;
  const shards = supervisionKeys(ctx.store.keys).shards;
  const max = opts.before === undefined ? '+' : `(${opts.before}`;
  const ids = await Promise.all(shards.map((s) => redis.zrevrangebylex(s.cards, max, '-', 'LIMIT', 0, limit)));
  const newest = ids
    .flatMap((list, shard) => list.map((id) => ({ id, shard })))
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, limit);
  if (newest.length === 0) return [];
  // One read per card, not one pipeline: the cards sit in several shards, and a Redis Cluster refuses a
  // pipeline whose keys live on different nodes. Auto-pipelining still sends them in one write per node.
  const rows = await Promise.all(newest.map(({ id, shard }) => redis.hget(shards[shard]!.card, id)));
  const cards: Card[] = [];
  for (const json of rows) if (typeof json === 'string') cards.push(JSON.parse(json) as Card);
  return cards;
}
