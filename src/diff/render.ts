// Plain-text rendering of a DiffResult for the CLI. ANSI colour only when asked (the caller knows
// whether stdout is a terminal).
import type { ActionEntry, DiffResult, Grant, ScopeChange } from './types.ts';

export interface RenderOptions {
  color: boolean;
  /** Print at most this many entries per group, then "… and N more" (default: all). */
  limit?: number;
}

const ANSI = { green: '\u001b[32m', red: '\u001b[31m', yellow: '\u001b[33m', dim: '\u001b[2m', bold: '\u001b[1m', reset: '\u001b[0m' };

export function renderGrant(g: Grant): string {
  const parts: string[] = [];
  if (g.resources) parts.push(`Resource ${g.resources.join(', ')}`);
  if (g.notResources) parts.push(`NotResource ${g.notResources.join(', ')}`);
  if (g.conditions) {
    const clauses: string[] = [];
    for (const [op, keys] of Object.entries(g.conditions)) {
      for (const [k, values] of Object.entries(keys)) clauses.push(`${op} ${k}=${values.join('|')}`);
    }
    parts.push(`when ${clauses.join(' and ')}`);
  }
  return parts.join(' ') || '(no resource)';
}

// "Resource *" with no condition is the common case and says nothing worth a line.
function trivial(grants: Grant[]): boolean {
  return grants.every((g) => !g.conditions && !g.notResources && g.resources?.length === 1 && g.resources[0] === '*');
}

export function renderDiffText(result: DiffResult, options: RenderOptions): string {
  const paint = (code: keyof typeof ANSI, s: string) => (options.color ? ANSI[code] + s + ANSI.reset : s);
  const lines: string[] = [];
  const direction = [result.broadened ? 'broadened' : '', result.narrowed ? 'narrowed' : ''].filter(Boolean).join(' and ');
  lines.push(paint('bold', result.kind.replace('_', ' ') + (direction ? ` (${direction})` : '')) + paint('dim', `  catalog ${result.catalogVersion}`));

  const head = (entry: { action: string; accessLevel: string; flags: string[] }) =>
    `${entry.action}  (${entry.accessLevel})${entry.flags.length ? `  [${entry.flags.join(', ')}]` : ''}`;
  const group = <T>(title: string, items: T[], line: (item: T) => string[]) => {
    if (items.length === 0) return;
    lines.push(`${title} (${items.length}):`);
    const shown = options.limit === undefined ? items : items.slice(0, options.limit);
    for (const item of shown) lines.push(...line(item));
    if (shown.length < items.length) lines.push(paint('dim', `  … and ${items.length - shown.length} more`));
  };
  const entry = (sign: '+' | '-', code: 'green' | 'red') => (e: ActionEntry) => [
    paint(code, `  ${sign} ${head(e)}`),
    ...(trivial(e.grants) ? [] : e.grants.map((g) => paint('dim', `      ${renderGrant(g)}`))),
  ];
  const scope = (s: ScopeChange) => [
    paint('yellow', `  ~ ${head(s)}  ${s.direction}`),
    ...s.before.map((g) => paint('red', `      before: ${renderGrant(g)}`)),
    ...s.after.map((g) => paint('green', `      after:  ${renderGrant(g)}`)),
  ];

  group('Allowed, added', result.effective.added, entry('+', 'green'));
  group('Allowed, removed', result.effective.removed, entry('-', 'red'));
  group('Scope changed', result.effective.scopeChanged, scope);
  group('Denied, added', result.deny.added, entry('+', 'green'));
  group('Denied, removed', result.deny.removed, entry('-', 'red'));
  group('Deny scope changed', result.deny.scopeChanged, scope);
  group('Patterns added', result.literal.added, (p) => [paint('dim', `  + ${p}`)]);
  group('Patterns removed', result.literal.removed, (p) => [paint('dim', `  - ${p}`)]);
  group('Problems', result.problems ?? [], (p) => [paint('yellow', `  ! ${p}`)]);
  return lines.join('\n') + '\n';
}
