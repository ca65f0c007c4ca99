// Strict feed-date parsing. Date.parse accepts almost anything ("2020", "foo 12"), which would turn
// garbage into plausible timestamps in a change history; these parsers accept only RFC 822/1123
// (what RSS specifies and AWS emits) and ISO 8601 (what some feeds use instead).

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

// RFC 822 zones. Single-letter military zones other than Z are omitted: RFC 1123 notes their signs
// were specified backwards and says they cannot be relied on.
const ZONES: Readonly<Record<string, number>> = {
  z: 0, ut: 0, utc: 0, gmt: 0,
  est: -5 * 60, edt: -4 * 60, cst: -6 * 60, cdt: -5 * 60, mst: -7 * 60, mdt: -6 * 60, pst: -8 * 60, pdt: -7 * 60,
};

const RFC822 =
  /^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s*)?(\d{1,2})\s+([a-z]{3})[a-z]*\s+(\d{4}|\d{2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(z|ut|utc|gmt|[ecmp][sd]t|[+-]\d{4})$/i;

const ISO8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(z|[+-]\d{2}:?\d{2}))?$/i;

function build(year: number, month: number, day: number, h: number, mi: number, s: number, ms: number, offsetMin: number): Date | null {
  if (month < 0 || month > 11 || day < 1 || h > 23 || mi > 59 || s > 60) return null;
  const t = Date.UTC(year, month, day, h, mi, Math.min(s, 59), ms) - offsetMin * 60_000;
  const check = new Date(Date.UTC(year, month, day));
  // Rejects 31 Feb and friends, which Date.UTC would silently roll over into March.
  if (check.getUTCMonth() !== month || check.getUTCDate() !== day) return null;
  return Number.isFinite(t) ? new Date(t) : null;
}

function parseOffset(zone: string): number | null {
  const z = zone.toLowerCase();
  if (Object.hasOwn(ZONES, z)) return ZONES[z] as number;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = Number(m[3]);
  if (hours > 23 || minutes > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** Parses an RFC 822/1123 date ("Thu, 2 Oct 2025 19:00:00 GMT") or ISO 8601; null when it is neither. */
export function parseFeedDate(raw: string): Date | null {
  const s = raw.trim();
  if (s.length === 0 || s.length > 64) return null;
  let m = RFC822.exec(s);
  if (m) {
    const month = MONTHS[(m[2] as string).toLowerCase()];
    const offset = parseOffset(m[7] as string);
    if (month === undefined || offset === null) return null;
    let year = Number(m[3]);
    // RFC 822 two-digit years; RFC 2822 section 4.3 maps 00-49 to 20xx and 50-99 to 19xx.
    if ((m[3] as string).length === 2) year += year < 50 ? 2000 : 1900;
    return build(year, month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0, offset);
  }
  m = ISO8601.exec(s);
  if (m) {
    const offset = m[8] === undefined ? 0 : parseOffset(m[8]);
    if (offset === null) return null;
    const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
    return build(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), ms, offset);
  }
  return null;
}
