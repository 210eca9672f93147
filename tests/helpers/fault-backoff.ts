/**
 * The outbox's retry schedule (gateway/outbox/dispatcher.ts with gateway/workers/backoff.ts) as the
 * fault suite reasons about it. After a failed attempt, when `n` attempts had failed before it, the
 * next one waits backoffDelay(n, base, max): between half and all of min(max, base·2ⁿ) (equal
 * jitter). So the k-th attempt of an envelope comes no sooner than shortestSpan(k) after the first,
 * and — the dispatcher polling every KC_OUTBOX_POLL_MS — no later than longestSpan(k) plus a poll
 * per attempt.
 */
import { backoffDelay } from '../../gateway/workers/backoff.js';

export interface Schedule {
  baseMs: number;
  maxMs: number;
}

/** Shortest time from the first attempt to the `attempts`-th. */
export function shortestSpan(attempts: number, s: Schedule): number {
  let total = 0;
  for (let n = 0; n < attempts - 1; n++) total += backoffDelay(n, s.baseMs, s.maxMs, () => 0);
  return total;
}

/** Longest time from the first attempt to the `attempts`-th, polling aside. */
export function longestSpan(attempts: number, s: Schedule): number {
  let total = 0;
  for (let n = 0; n < attempts - 1; n++) total += backoffDelay(n, s.baseMs, s.maxMs, () => 1);
  return total;
}

/** The most attempts the schedule allows within `spanMs` of the first. */
export function mostAttemptsWithin(spanMs: number, s: Schedule): number {
  let attempts = 1;
  while (shortestSpan(attempts + 1, s) <= spanMs) attempts++;
  return attempts;
}
