/**
 * A tiny seeded PRNG (sfc32 seeded through splitmix32) and the draws the
 * simulator needs. Deterministic across platforms: only 32-bit integer maths.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    const v = items[this.int(items.length)];
    if (v === undefined) throw new Error('pick from an empty list');
    return v;
  }

  /** `chars` lower-case hex digits (multiple of 8 is fastest). */
  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += this.u32().toString(16).padStart(8, '0');
    return out.length === chars ? out : out.slice(0, chars);
  }

  /** Writes `bytes` random bytes as lower-case hex (2*bytes ASCII chars) into `buf` at `offset`. */
  hexInto(buf: Buffer, offset: number, bytes: number): void {
    let o = offset;
    for (let i = 0; i < bytes; i += 4) {
      const v = this.u32();
      const n = Math.min(4, bytes - i);
      for (let k = 0; k < n; k++) {
        const byte = (v >>> (k * 8)) & 0xff;
        buf[o++] = HEX_CODES[byte >>> 4]!;
        buf[o++] = HEX_CODES[byte & 15]!;
      }
    }
  }

  /** '0x' + `bytes` random bytes in lower-case hex, as one flat string. */
  hexString(bytes: number): string {
    const buf = scratch(2 + bytes * 2);
    buf[0] = 48; // '0'
    buf[1] = 120; // 'x'
    this.hexInto(buf, 2, bytes);
    return buf.toString('latin1', 0, 2 + bytes * 2);
  }

  /** A decimal string of exactly `digits` digits, first digit non-zero. */
  decimal(digits: number): string {
    let out = String(1 + this.int(9));
    while (out.length < digits) out += String(this.int(1e9)).padStart(9, '0');
    return out.slice(0, digits);
  }
}

const HEX_CODES = Buffer.from('0123456789abcdef', 'latin1');
let scratchBuf = Buffer.alloc(256);
function scratch(n: number): Buffer {
  if (scratchBuf.length < n) scratchBuf = Buffer.alloc(n * 2);
  return scratchBuf;
}

/** Derive an independent seed from a seed and a label (for sub-streams). */
export function mixSeed(seed: number, label: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h >>> 0;
}
