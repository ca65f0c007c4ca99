// Fixed-size bit sets over catalog action ids. A whole-catalog set is ~700 32-bit words, so set
// algebra over NotAction statements ("everything except …") stays cheap.

export type Bits = Uint32Array;

export function wordsFor(size: number): number {
  return (size + 31) >>> 5;
}

export function has(bits: Bits, id: number): boolean {
  return ((bits[id >>> 5] ?? 0) & (1 << (id & 31))) !== 0;
}

export function set(bits: Bits, id: number): void {
  bits[id >>> 5] = (bits[id >>> 5] ?? 0) | (1 << (id & 31));
}

/** target |= src, where src holds the words starting at word index lo. */
export function orInto(target: Bits, src: Bits, lo = 0): void {
  for (let i = 0; i < src.length; i++) target[lo + i] = (target[lo + i] ?? 0) | (src[i] ?? 0);
}

/** a & ~b */
export function andNot(a: Bits, b: Bits): Bits {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) & ~(b[i] ?? 0);
  return out;
}

export function and(a: Bits, b: Bits): Bits {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) & (b[i] ?? 0);
  return out;
}

export function isEmpty(bits: Bits): boolean {
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) return false;
  return true;
}

export function equal(a: Bits, b: Bits): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Ids of set bits, ascending. */
export function ids(bits: Bits): number[] {
  const out: number[] = [];
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w] ?? 0;
    while (word !== 0) {
      const low = word & -word;
      out.push((w << 5) + (31 - Math.clz32(low)));
      word ^= low;
    }
  }
  return out;
}

/** Ids set in both `bits` (words from lo) and `mask` (full length), ascending. */
export function idsMasked(bits: Bits, lo: number, mask: Bits): number[] {
  const out: number[] = [];
  for (let i = 0; i < bits.length; i++) {
    let word = (bits[i] ?? 0) & (mask[lo + i] ?? 0);
    while (word !== 0) {
      const low = word & -word;
      out.push(((lo + i) << 5) + (31 - Math.clz32(low)));
      word ^= low;
    }
  }
  return out;
}

/**
 * A bit set stored as the word range [lo, lo + words.length) only. Grant groups and pattern
 * expansions usually touch one or two services, i.e. a few words out of ~700, so this keeps the
 * per-document footprint (and GC pressure) small.
 */
export interface RangeBits {
  lo: number;
  words: Bits;
}

export function rangeHas(r: RangeBits, id: number): boolean {
  const w = (id >>> 5) - r.lo;
  return w >= 0 && w < r.words.length && ((r.words[w] ?? 0) & (1 << (id & 31))) !== 0;
}

/** target (full length) |= r */
export function orRangeInto(target: Bits, r: RangeBits): void {
  orInto(target, r.words, r.lo);
}

/** target (full length) |= a ^ b */
export function orXorInto(target: Bits, a: RangeBits, b: RangeBits): void {
  const lo = Math.min(a.lo, b.lo);
  const hi = Math.max(a.lo + a.words.length, b.lo + b.words.length);
  for (let w = lo; w < hi; w++) {
    const x = w - a.lo >= 0 ? (a.words[w - a.lo] ?? 0) : 0;
    const y = w - b.lo >= 0 ? (b.words[w - b.lo] ?? 0) : 0;
    target[w] = (target[w] ?? 0) | (x ^ y);
  }
}

/** Call fn for each id set in both `bits` (words from lo) and `mask` (full length), ascending. */
export function forEachMasked(bits: Bits, lo: number, mask: Bits, fn: (id: number) => void): void {
  for (let i = 0; i < bits.length; i++) {
    let word = (bits[i] ?? 0) & (mask[lo + i] ?? 0);
    while (word !== 0) {
      const low = word & -word;
      fn(((lo + i) << 5) + (31 - Math.clz32(low)));
      word ^= low;
    }
  }
}
