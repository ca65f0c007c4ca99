// Changes per week by kind as stacked bars, laid out here and drawn by the template as inline
// SVG: no client script, nothing to load. Pure.
import type { EventKind } from '../core/events.ts';

export interface ChartBar {
  x: number;
  y: number;
  width: number;
  height: number;
  kind: EventKind;
  count: number;
  week: string;
}

export interface ChartView {
  width: number;
  height: number;
  bars: ChartBar[];
  /** Y-axis reference: the tallest week's total. */
  max: number;
  ticks: { x: number; label: string }[];
  kinds: EventKind[];
  /** The same numbers as a table, for screen readers and for copying. */
  rows: { week: string; counts: number[]; total: number }[];
}

const KIND_ORDER: EventKind[] = ['created', 'permissions_changed', 'cosmetic', 'metadata_only', 'deprecated'];
const day = (d: Date) => d.toISOString().slice(0, 10);

export function chartView(series: { weeks: Date[]; counts: Partial<Record<EventKind, number[]>> }, size = { width: 760, height: 180 }): ChartView {
  const kinds = KIND_ORDER.filter((k) => series.counts[k]);
  const totals = series.weeks.map((_, i) => kinds.reduce((n, k) => n + (series.counts[k]?.[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const plotTop = 8;
  const plotHeight = size.height - 28;
  const step = series.weeks.length > 0 ? size.width / series.weeks.length : size.width;
  const barWidth = Math.max(1, step * 0.8);
  const bars: ChartBar[] = [];
  series.weeks.forEach((w, i) => {
    let base = plotTop + plotHeight;
    for (const k of kinds) {
      const count = series.counts[k]?.[i] ?? 0;
      if (count === 0) continue;
      const h = (count / max) * plotHeight;
      base -= h;
      bars.push({ x: +(i * step).toFixed(2), y: +base.toFixed(2), width: +barWidth.toFixed(2), height: +Math.max(h, 0.5).toFixed(2), kind: k, count, week: day(w) });
    }
  });
  // About six labels whatever the window.
  const every = Math.max(1, Math.ceil(series.weeks.length / 6));
  const ticks = series.weeks.flatMap((w, i) => (i % every === 0 ? [{ x: +(i * step).toFixed(2), label: day(w) }] : []));
  const rows = series.weeks.map((w, i) => ({ week: day(w), counts: kinds.map((k) => series.counts[k]?.[i] ?? 0), total: totals[i] ?? 0 }));
  return { width: size.width, height: size.height, bars, max, ticks, kinds, rows };
}
