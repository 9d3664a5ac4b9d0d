/**
 * The round clock. One round number is current for every tournament. Its times are fixed when the state is set
 * (ISO-8601 UTC without fractional seconds, as the real API writes them):
 *  - open:   openTime an hour ago, closeStakingTime in 24 h, closeTime a day after that;
 *  - late:   past closeStakingTime (an hour ago), before closeTime: uploads are accepted and marked late;
 *  - closed: the current round's closeTime has passed and no new round has opened; `rounds(number: 0)` answers
 *            `[null]` or the error "Current round not open for submissions" (closedShape).
 * Earlier rounds are one day apart.
 */
import type { ClosedShape, RoundState } from '../types.js';

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

export class RoundClock {
  number: number;
  state: RoundState;
  closedShape: ClosedShape;
  private current!: RoundTimes;

  constructor(
    private readonly now: () => number,
    init: { number: number; state: RoundState; closedShape?: ClosedShape },
  ) {
    this.number = init.number;
    this.state = init.state;
    this.closedShape = init.closedShape ?? 'null';
    this.set(init.state, init.number);
  }

  set(state: RoundState, number?: number, closedShape?: ClosedShape): void {
    if (state !== 'open' && state !== 'closed' && state !== 'late') throw new Error(`sandbox: unknown round state ${String(state)}`);
    if (number !== undefined) {
      if (!Number.isInteger(number) || number < 1) throw new Error(`sandbox: round number must be a positive integer, got ${number}`);
      this.number = number;
    }
    this.state = state;
    if (closedShape) this.closedShape = closedShape;
    const now = Math.floor(this.now() / 1000) * 1000;
    let openTime: number;
    if (state === 'open') openTime = now - HOUR;
    else if (state === 'late') openTime = now - 25 * HOUR;
    else openTime = now - 3 * DAY;
    this.current = this.timesFrom(this.number, openTime);
  }

  private timesFrom(number: number, openTime: number): RoundTimes {
    const closeStakingTime = openTime + 24 * HOUR;
    const closeTime = closeStakingTime + DAY;
    return { number, openTime, closeStakingTime, closeTime, scoreTime: closeTime + 3 * DAY, resolveTime: openTime + 31 * DAY };
  }

  /** Times of a round up to the current one; null for a future round or a number below 1. */
  times(number: number): RoundTimes | null {
    if (number > this.number || number < 1) return null;
    if (number === this.number) return this.current;
    return this.timesFrom(number, this.current.openTime - (this.number - number) * DAY);
  }

  currentTimes(): RoundTimes {
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
