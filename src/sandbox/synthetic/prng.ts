/**
 * Seeded pseudo-random numbers for the synthetic dataset. Mulberry32: one 32-bit word of state, fast, and good
 * enough for fixtures (it is not used for anything secret). Everything here is pure integer arithmetic, so the
 * same seed gives the same sequence on every platform and Node version.
 */

/** Mixes two 32-bit words into one well-spread word (used to derive independent per-column streams). */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Advances the state stored at `states[slot]` and returns the next uniform 32-bit integer. */
export function nextUint32(states: Uint32Array, slot: number): number {
  const s = (states[slot] + 0x6d2b79f5) >>> 0;
  states[slot] = s;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/** A single seeded stream, for the places that need only one. */
export class Prng {
  private readonly state: Uint32Array;

  constructor(seed: number) {
    this.state = Uint32Array.of(mixSeed(seed >>> 0, 0x5eed));
  }

  uint32(): number {
    return nextUint32(this.state, 0);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
