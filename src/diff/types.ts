// Result types of the semantic diff engine. Plain JSON-serialisable data: the API, the CLI and the
// database all store or print these as they are.

export type AccessLevel = 'List' | 'Read' | 'Write' | 'Tagging' | 'Permissions management' | 'unknown';

export type ActionFlag =
  | 'permissions-management'
  | 'privilege-escalation'
  | 'unknown-action'
  | 'first-seen-action'
  | 'first-seen-service';

/** Condition block in canonical form: operator → condition key → sorted, de-duplicated values. */
export type CanonicalConditions = Record<string, Record<string, string[]>>;

/**
 * Where one statement lets an action apply. Exactly one of resources / notResources is set for a
 * valid statement; conditions only when the statement has a non-empty Condition block.
 */
export interface Grant {
  resources?: string[];
  notResources?: string[];
  conditions?: CanonicalConditions;
}

export interface ActionEntry {
  /** Catalog spelling, e.g. "q:CreatePlugin"; unknown actions keep the service lower-cased. */
  action: string;
  service: string;
  accessLevel: AccessLevel;
  /** Frozen, and shared with every other entry that has the same flags: copy it to change it. */
  flags: ActionFlag[];
  /** Patterns of the document that cover the action, as written ("NotAction: a, b" for NotAction statements). */
  via: string[];
  /** Grants of the document the entry describes (new document for added, old for removed). */
  grants: Grant[];
}

/**
 * 'broadened' / 'narrowed' when the engine proved the direction (one side's grants cover the
 * other's); 'unknown' otherwise, which the verdict counts as both.
 */
export type ScopeDirection = 'broadened' | 'narrowed' | 'unknown';

export interface ScopeChange {
  action: string;
  service: string;
  accessLevel: AccessLevel;
  /** Frozen and shared, as ActionEntry.flags. */
  flags: ActionFlag[];
  before: Grant[];
  after: Grant[];
  direction: ScopeDirection;
}

export type DiffKind = 'metadata_only' | 'cosmetic' | 'permissions_changed';

export interface DiffResult {
  kind: DiffKind;
  broadened: boolean;
  narrowed: boolean;
  effective: { added: ActionEntry[]; removed: ActionEntry[]; scopeChanged: ScopeChange[] };
  /** Deny-side changes. scopeChanged: actions denied in both whose deny grants differ. */
  deny: { added: ActionEntry[]; removed: ActionEntry[]; scopeChanged: ScopeChange[] };
  /** Patterns added/removed as written (case-insensitive compare); see literalKey() for prefixes. */
  literal: { added: string[]; removed: string[] };
  catalogVersion: string;
  /** Why parts of either document could not be interpreted; absent when both parsed cleanly. */
  problems?: string[];
}

/** Actions/services granted by earlier versions of any policy (lower-case), for first-seen flags. */
export interface SeenBefore {
  actions: ReadonlySet<string>;
  services: ReadonlySet<string>;
}

export interface DiffOptions {
  seenBefore?: SeenBefore | undefined;
}
