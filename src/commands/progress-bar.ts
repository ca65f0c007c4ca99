// The CLI's progress bar: one line on a terminal's stderr, redrawn in place, so stdout keeps
// nothing but the command's JSON summary.
import { describeProgress, type ProgressSink, type ProgressSnapshot } from '../core/progress.ts';

const WIDTH = 24;

export function renderBar(s: ProgressSnapshot): string {
  const frac = s.policiesTotal ? Math.min(1, s.policiesDone / s.policiesTotal) : s.done ? 1 : 0;
  const filled = Math.round(frac * WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${describeProgress(s)}`;
}

export function progressBar(out: { write(text: string): unknown }, intervalMs = 200): ProgressSink {
  let phase: string | undefined;
  return {
    intervalMs,
    report(s) {
      // A finished phase keeps its line; the next phase draws below it.
      if (phase !== undefined && phase !== s.phase) out.write('\n');
      phase = s.phase;
      out.write(`\r\x1b[2K${renderBar(s)}${s.done ? '\n' : ''}`);
    },
  };
}
