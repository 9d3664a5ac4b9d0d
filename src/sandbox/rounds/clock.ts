/**
 * The round clock. One round number is current for every tournament. Its times are fixed when the state is set
 * (ISO-8601 UTC without fractional seconds, as the real API writes them):
 *  - open:   openTime an hour ago, closeStakingTime in 24 h, closeTime a day after that;
 *  - late:   past closeStakingTime (an hour ago), before closeTime: uploads are accepted and marked late;
 *  - closed: the current round's closeTime has passed and no new round has opened; `rounds(number: 0)` answers
 *            `[null]` or the error "Current round not open for submissions" (closedShape).
 * Earlier rounds follow Numerai's calendar (history.ts): one per round day, Tuesday to Saturday, a weekday round open
 * one hour for on-time submissions and the Saturday round until Sunday 14:00. A round that was current keeps the
 * times it had.
 *
 * The next round can be set to open at a time (`openAt`): until then the API lists it as UPCOMING with that openTime;
 * from then on it is the open round. The clock changes when it is read, so a custom `now` moves it too; a timer makes
 * the change (and the round-open event) happen on time when nobody asks.
 */
import type { ClosedShape, RoundState } from '../types.js';
import { closeStakingAfter, previousRoundDay } from './history.js';

export const ROUND_NOT_OPEN = 'Current round not open for submissions';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export interface RoundTimes {
  number: number;
  openTime: number;
  closeStakingTime: number;
  closeTime: number;
  scoreTime: number;
  resolveTime: number;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** YYYYMMDD of a time, as an int (the rounds' dataDatestamp). */
export function datestamp(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** What a round-open listener is told. */
export interface RoundOpened {
  number: number;
  /** ISO-8601 UTC, no fractional seconds. */
  openTime: string;
}

export class RoundClock {
  closedShape: ClosedShape;
  private currentNumber: number;
  private currentState: RoundState;
  private current!: RoundTimes;
  /** Rounds that were current once, with the times they had then. */
  private readonly former = new Map<number, RoundTimes>();
  private next: RoundTimes | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(round: RoundOpened) => void>();

  constructor(
    private readonly now: () => number,
    init: { number: number; state: RoundState; closedShape?: ClosedShape },
  ) {
    this.currentNumber = init.number;
    this.currentState = init.state;
    this.closedShape = init.closedShape ?? 'null';
    this.set(init.state, init.number);
  }

  get number(): number {
    this.tick();
    return this.currentNumber;
  }

  get state(): RoundState {
    this.tick();
    return this.currentState;
  }

  set(state: RoundState, number?: number, closedShape?: ClosedShape): void {
    if (state !== 'open' && state !== 'closed' && state !== 'late') throw new Error(`sandbox: unknown round state ${String(state)}`);
    if (number !== undefined) {
      if (!Number.isInteger(number) || number < 1) throw new Error(`sandbox: round number must be a positive integer, got ${number}`);
    }
    const opened = state === 'open' && (this.currentState !== 'open' || (number !== undefined && number !== this.currentNumber));
    if (number !== undefined) this.currentNumber = number;
    this.currentState = state;
    if (closedShape) this.closedShape = closedShape;
    const now = Math.floor(this.now() / 1000) * 1000;
    let openTime: number;
    if (state === 'open') openTime = now - HOUR;
    else if (state === 'late') openTime = now - 25 * HOUR;
    else openTime = now - 3 * DAY;
    this.current = this.timesFrom(this.currentNumber, openTime, openTime + 24 * HOUR);
    this.former.clear();
    this.cancelNext();
    if (opened && this.listeners.size > 0) this.emit();
  }

  /**
   * Open the next round (the current number + 1) at `time` (ms since the epoch): it is listed as UPCOMING until then.
   * A time already past opens it at the next read.
   */
  openAt(time: number): RoundTimes {
    if (!Number.isFinite(time)) throw new Error(`sandbox: open-at needs a time, got ${time}`);
    this.cancelNext();
    const openTime = Math.floor(time / 1000) * 1000;
    this.next = this.timesFrom(this.currentNumber + 1, openTime, openTime + 24 * HOUR);
    const delay = openTime - this.now();
    this.timer = setTimeout(() => this.tick(), Math.max(0, Math.min(delay, 2 ** 31 - 1)));
    this.timer.unref();
    return this.next;
  }

  /** The round set to open next (openAt), while it has not opened. */
  upcoming(): RoundTimes | null {
    this.tick();
    return this.next;
  }

  /** Told each time a round opens (openAt's time comes, or set('open') with a new number or after closed). */
  onOpen(listener: (round: RoundOpened) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop the openAt timer (the sandbox is closing). */
  stop(): void {
    this.cancelNext();
  }

  private tick(): void {
    if (!this.next || this.now() < this.next.openTime) return;
    this.former.set(this.currentNumber, this.current);
    this.current = this.next;
    this.currentNumber = this.next.number;
    this.currentState = 'open';
    this.next = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.emit();
  }

  private emit(): void {
    const round = { number: this.currentNumber, openTime: iso(this.current.openTime) };
    for (const listener of this.listeners) {
      try {
        listener(round);
      } catch {
        // A listener's failure is its own: the clock goes on.
      }
    }
  }

  private cancelNext(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.next = null;
  }

  private timesFrom(number: number, openTime: number, closeStakingTime: number): RoundTimes {
    const closeTime = closeStakingTime + DAY;
    return { number, openTime, closeStakingTime, closeTime, scoreTime: closeTime + 3 * DAY, resolveTime: openTime + 31 * DAY };
  }

  /** Times of a round up to the current one (and of the upcoming one); null for another future round or a number below 1. */
  times(number: number): RoundTimes | null {
    this.tick();
    if (this.next && number === this.next.number) return this.next;
    if (number > this.currentNumber || number < 1) return null;
    if (number === this.currentNumber) return this.current;
    const known = this.former.get(number);
    if (known) return known;
    // Step back round days from the oldest round whose times are known.
    let anchor = this.current;
    for (const times of this.former.values()) if (times.number < anchor.number) anchor = times;
    let openTime = anchor.openTime;
    for (let n = anchor.number; n > number; n--) openTime = previousRoundDay(openTime);
    return this.timesFrom(number, openTime, closeStakingAfter(openTime));
  }

  currentTimes(): RoundTimes {
    this.tick();
    return this.current;
  }

  /** Whether submissions are accepted now (open or late). */
  acceptsSubmissions(): boolean {
    return this.state !== 'closed';
  }

  isLate(): boolean {
    return this.state === 'late';
  }
}
