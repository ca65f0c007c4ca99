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

export function isEmpty(bits: Bits): boolean {
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) return false;
  return true;
}

export function equal(a: Bits, b: Bits): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Ids of set bits of a range set, ascending. */
export function rangeIds(r: RangeBits): number[] {
  const out: number[] = [];
  for (let i = 0; i < r.words.length; i++) {
    for (let word = r.words[i]!; word !== 0; word &= word - 1) out.push(((r.lo + i) << 5) + (31 - Math.clz32(word & -word)));
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

/** a & ~b, over a's words. */
export function minus(a: RangeBits, b: RangeBits): RangeBits {
  const words = new Uint32Array(a.words.length);
  const shift = a.lo - b.lo;
  for (let i = 0; i < words.length; i++) {
    const j = i + shift;
    words[i] = a.words[i]! & ~(j >= 0 && j < b.words.length ? b.words[j]! : 0);
  }
  return { lo: a.lo, words };
}

/** a & b, over the words both cover. */
export function intersect(a: RangeBits, b: RangeBits): RangeBits {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.lo + a.words.length, b.lo + b.words.length);
  if (hi <= lo) return { lo: 0, words: new Uint32Array(0) };
  const words = new Uint32Array(hi - lo);
  for (let i = 0; i < words.length; i++) words[i] = a.words[lo - a.lo + i]! & b.words[lo - b.lo + i]!;
  return { lo, words };
}

/** target |= r, over the words the two ranges share. */
export function orRangeInto(target: RangeBits, r: RangeBits): void {
  const from = Math.max(target.lo, r.lo);
  const to = Math.min(target.lo + target.words.length, r.lo + r.words.length);
  for (let w = from; w < to; w++) target.words[w - target.lo] = target.words[w - target.lo]! | r.words[w - r.lo]!;
}

/** target |= a ^ b, over target's words. */
export function orXorInto(target: RangeBits, a: RangeBits, b: RangeBits): void {
  const from = Math.max(target.lo, Math.min(a.lo, b.lo));
  const to = Math.min(target.lo + target.words.length, Math.max(a.lo + a.words.length, b.lo + b.words.length));
  for (let w = from; w < to; w++) {
    const x = w >= a.lo && w < a.lo + a.words.length ? a.words[w - a.lo]! : 0;
    const y = w >= b.lo && w < b.lo + b.words.length ? b.words[w - b.lo]! : 0;
    target.words[w - target.lo] = target.words[w - target.lo]! | (x ^ y);
  }
}
