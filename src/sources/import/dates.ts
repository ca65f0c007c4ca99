// Strict parsing of the timestamps the import sources carry. Date.parse is too lenient for a
// record of when permissions changed: it accepts many shapes and rolls 2024-02-30 over to
// March 1st, so only ISO 8601 date-times with an explicit zone are accepted.

// IAMTrail/AWS CLI: 2024-04-29T17:02:36+00:00 or 2024-07-09T08:35:50Z; the npm dataset adds
// milliseconds: 2015-02-06T18:39:46.000Z.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Parses an ISO 8601 date-time with a zone; undefined for anything else (incl. impossible dates). */
export function parseIsoDateTime(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Day overflow (Feb 30) shows up as a different calendar day after normalisation.
  if (new Date(local).getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const offH = Number(m[10]);
    const offM = Number(m[11]);
    if (offH > 23 || offM > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  return new Date(local - offsetMinutes * 60_000);
}
