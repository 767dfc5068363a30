/** FNV-1a: turns labels into seeds so each concern gets its own independent stream. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A small seeded PRNG (mulberry32 step). Separate streams keep, say, the errors fault from
 * shifting the noise sequence when a client makes one more call.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = mix32(seed >>> 0);
  }

  static stream(seed: number, label: string): SeededRandom {
    return new SeededRandom((seed ^ hashString(label)) >>> 0);
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, max: number): number {
    return Math.floor(this.between(min, max + 1));
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const a = out[i] as T;
      out[i] = out[j] as T;
      out[j] = a;
    }
    return out;
  }

  hex(length: number): string {
    let s = '';
    while (s.length < length) s += Math.floor(this.next() * 16).toString(16);
    return s;
  }
}

/** Stateless noise in [0,1) for a (seed, key, time) triple: RRD history must not depend on call order. */
export function pointNoise(seed: number, key: string, t: number): number {
  return mix32((hashString(key) ^ mix32(seed >>> 0) ^ mix32(Math.floor(t) >>> 0)) >>> 0) / 4294967296;
}
