// Which events a subscription alerts on. Pure: the outbox runs it inside the event transaction.
// Every given list narrows (AND across lists, OR within one); empty lists mean "any".
import { DEFAULT_FEED_KINDS, type EventKind, type EventRecord } from '../core/events.ts';
import type { SubscriptionFilters } from '../core/alerts.ts';

/** Filters as the API accepts them: every list optional. */
export interface FilterInput {
  policies?: string[] | undefined;
  services?: string[] | undefined;
  accessLevels?: string[] | undefined;
  flags?: string[] | undefined;
  kinds?: EventKind[] | undefined;
}

const uniq = (xs: readonly string[]) => [...new Set(xs)];

/** Stored form: lists deduplicated, services lower-cased, kinds defaulting to the feed's. */
export function normaliseFilters(f: FilterInput | undefined): SubscriptionFilters {
  return {
    policies: uniq(f?.policies ?? []),
    services: uniq((f?.services ?? []).map((s) => s.toLowerCase())),
    accessLevels: uniq(f?.accessLevels ?? []),
    flags: uniq(f?.flags ?? []),
    // created, permissions_changed, deprecated: never metadata_only or cosmetic unless asked.
    kinds: f?.kinds && f.kinds.length > 0 ? (uniq(f.kinds) as EventKind[]) : [...DEFAULT_FEED_KINDS],
  };
}

/** A policy-name glob (`*`, `?`) as an anchored regular expression. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** A compiled filter: globs built once per subscription, then applied to every event. */
export function compileFilters(f: SubscriptionFilters): (e: EventRecord, policyName: string) => boolean {
  const globs = f.policies.map(globRegExp);
  const services = new Set(f.services);
  const levels = new Set(f.accessLevels.map((l) => l.toLowerCase()));
  const flags = new Set(f.flags);
  const kinds = new Set(f.kinds);
  return (e, policyName) => {
    if (!kinds.has(e.kind)) return false;
    if (globs.length > 0 && !globs.some((g) => g.test(policyName))) return false;
    if (flags.size > 0 && !e.flags.some((x) => flags.has(x))) return false;
    if (services.size === 0 && levels.size === 0) return true;
    // Service and access level must hold for the same changed actions (one action group).
    return e.actionGroups.some((g) => (services.size === 0 || services.has(g.service)) && (levels.size === 0 || levels.has(g.accessLevel.toLowerCase())));
  };
}
