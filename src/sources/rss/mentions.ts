// Pure heuristics over AWS documentation-history entries: which managed policies an entry names,
// what kind of change it announces, and which way AWS says permissions moved. AWS writes these
// entries by hand, so every rule here is a wording heuristic; callers treat the output as AWS's
// claim, to be checked against the real policy diff (e.g. "added" while the diff narrows).
import { decodeHtmlEntities } from './text.ts';
import type { FeedItem } from './parse.ts';

export type MentionSource = Pick<FeedItem, 'title' | 'descriptionHtml' | 'descriptionText'>;

export interface PolicyMentions {
  /** Known policy names mentioned, in order of first appearance (title first), case-sensitive. */
  resolved: string[];
  /** Strongly policy-like names (in <code>, "X - Updated policy", "X managed policy") that are not known. */
  unresolved: string[];
}

export type EntryKind = 'new_policy' | 'updated_policy' | 'deprecated_policy' | 'other';
export type StatedDirection = 'added' | 'removed' | 'mixed' | 'unknown';

// IAM policy-name characters, minus ",", which in prose is always punctuation.
const TOKEN_RE = /[A-Za-z0-9][A-Za-z0-9_+=.@-]*/g;

function trimToken(t: string): string {
  return t.replace(/[.@=+_-]+$/, '');
}

/**
 * Looks like an AWS managed policy name: starts upper-case, has a lower-case letter and at least two
 * upper-case letters (AmazonQFullAccess, AWSOrganizationsReadOnlyAccess), no ":" (that is an
 * action such as ec2:TerminateInstances). Plain words ("The", "Organizations") do not qualify.
 */
function isPolicyLike(t: string): boolean {
  if (t.length < 5 || t.length > 128) return false;
  if (!/^[A-Z][A-Za-z0-9_+=.@-]*$/.test(t) || !/[a-z]/.test(t)) return false;
  return (t.match(/[A-Z]/g)?.length ?? 0) >= 2;
}

function tokens(text: string): string[] {
  return (text.match(TOKEN_RE) ?? []).map(trimToken).filter((t) => t !== '');
}

/** Contents of `<code>` elements in the once-decoded description HTML. */
function codeSpans(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<code\b[^<>]*>([^<]{1,256})<\/code\s*>/gi)) {
    out.push(decodeHtmlEntities(m[1] as string).trim());
  }
  return out;
}

const SKIP_BEFORE_POLICY = new Set(['managed', 'aws', 'iam', 'the', 'access']);
const CONNECTORS = new Set(['and', 'or', ',', '&']);

/** Names grammatically attached to "policy"/"policies": "X and Y managed policies", "policy X". */
function namesNearPolicyWord(text: string): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const bare = words.map((w) => w.replace(/^[("'“‘]+/, '').replace(/[)"'”’.,;:!?]+$/, ''));
  const out: string[] = [];
  for (let i = 0; i < bare.length; i++) {
    const w = (bare[i] as string).toLowerCase();
    if (w !== 'policy' && w !== 'policies') continue;
    let j = i - 1;
    while (j >= 0 && SKIP_BEFORE_POLICY.has((bare[j] as string).toLowerCase()) && !isPolicyLike(bare[j] as string)) j--;
    while (j >= 0) {
      const b = bare[j] as string;
      if (isPolicyLike(b)) out.unshift(b);
      else if (!CONNECTORS.has(b.toLowerCase())) break;
      j--;
    }
    const next = bare[i + 1];
    if (next !== undefined && isPolicyLike(next)) out.push(next);
  }
  return out;
}

/** "AmazonQFullAccess - Updated policy" / "AmazonQDeveloperAccess – New policy" (hyphen, en or em dash, colon). */
function titleLeadName(title: string): string | undefined {
  const m = /^(\S+)\s*[-\u2013\u2014:]\s+(.*)$/.exec(title);
  if (!m || !/\bpolic(?:y|ies)\b/i.test(m[2] as string)) return undefined;
  const name = trimToken(m[1] as string);
  return isPolicyLike(name) ? name : undefined;
}

/**
 * Policy names an entry mentions. Every token of the title and description is checked against the
 * known names (case-sensitive: IAM policy names are). Names that are unknown are reported only when
 * the context makes them almost certainly policy names, so callers can record them without noise.
 */
export function extractPolicyMentions(item: MentionSource, knownPolicyNames: ReadonlySet<string>): PolicyMentions {
  const resolved = new Set<string>();
  const unresolved = new Set<string>();
  const strong = (name: string): void => {
    if (knownPolicyNames.has(name)) resolved.add(name);
    else if (isPolicyLike(name)) unresolved.add(name);
  };
  const weak = (name: string): void => {
    if (knownPolicyNames.has(name)) resolved.add(name);
  };

  const lead = titleLeadName(item.title);
  if (lead !== undefined) strong(lead);
  for (const n of namesNearPolicyWord(item.title)) strong(n);
  for (const t of tokens(item.title)) weak(t);

  for (const code of codeSpans(item.descriptionHtml)) strong(code);
  for (const n of namesNearPolicyWord(item.descriptionText)) strong(n);
  for (const t of tokens(item.descriptionText)) weak(t);

  for (const r of resolved) unresolved.delete(r);
  return { resolved: [...resolved], unresolved: [...unresolved] };
}

const POLICY_WORD = /\bpolic(?:y|ies)\b/i;
const POLICY_PAGE = /awsmanpol|managed-polic|available-policies|security-iam/i;

const TITLE_NEW = /[-\u2013\u2014:]\s*new (?:aws )?(?:managed )?policy\b/i;
const TITLE_UPDATED = /[-\u2013\u2014:]\s*(?:updated (?:aws )?(?:managed )?policy|policy updated)\b/i;
const TITLE_DEPRECATED = /[-\u2013\u2014:]\s*(?:deprecated (?:aws )?(?:managed )?policy|policy deprecated)\b/i;

const DEPRECATED = /\b(?:deprecat(?:ed|es|ing|ion)|no longer (?:available|supported|attachable|maintained)|end of support|retired?)\b/i;
const NEW = [
  /\bnew (?:aws )?(?:managed )?(?:iam )?polic(?:y|ies)\b/i,
  /\b(?:added|adds|introduced|introduces|launched|released|created) (?:a |an |the )?(?:new )?(?:aws )?(?:managed )?polic(?:y|ies)\b/i,
  // "Added AmazonEKSDashboardConsoleReadOnly policy." (the name sits between verb and noun)
  /\b(?:[Aa]dd(?:ed|s)|[Ii]ntroduc(?:ed|es)|[Ll]aunched|[Rr]eleased|[Cc]reated)\s+(?:(?:a|an|the|new)\s+)*[A-Z][A-Za-z0-9_+=.@-]*\s+(?:AWS\s+)?(?:managed\s+)?polic(?:y|ies)\b/,
];
const UPDATED = [
  /\bupdat(?:e|ed|es|ing)\b/i,
  /\b(?:added|adds|removed|removes|granted|grants|revoked|restricted) (?:\S+ ){0,3}permissions?\b/i,
  /\bpermissions? (?:have been|has been|were|was) (?:added|removed|updated|restricted)\b/i,
  /\badditional permissions?\b/i,
];

/** What kind of policy change an entry announces, from its wording; 'other' for non-policy entries. */
export function classifyEntry(item: MentionSource & { link?: string | null }): EntryKind {
  const { title, descriptionText } = item;
  // The "<Name> - New policy" convention of the per-service "Policy updates" tables is explicit.
  if (TITLE_DEPRECATED.test(title)) return 'deprecated_policy';
  if (TITLE_NEW.test(title)) return 'new_policy';
  if (TITLE_UPDATED.test(title)) return 'updated_policy';

  const text = `${title}. ${descriptionText}`;
  const aboutPolicies = POLICY_WORD.test(text) || (item.link != null && POLICY_PAGE.test(item.link));
  if (!aboutPolicies) return 'other';
  if (DEPRECATED.test(text)) return 'deprecated_policy';
  if (NEW.some((re) => re.test(text))) return 'new_policy';
  if (UPDATED.some((re) => re.test(text))) return 'updated_policy';
  return 'other';
}

// Words that talk about permissions/privileges, as opposed to e.g. "remove tags".
const PERMISSION_NOUN = /\b(?:permissions?|access|actions?|privileges?|scope|statements?|polic(?:y|ies)|wildcards?)\b/i;
const ADD_VERB = /\b(?:add|added|adds|adding|additional|grant|granted|grants|granting|expand|expanded|expands|broaden|broadened|new permissions?)\b/gi;
const REMOVE_VERB = /\b(?:remov(?:e|ed|es|ing)|reduc(?:e|ed|es|ing)|restrict(?:ed|s|ing)?|narrow(?:ed|s|ing)?|revok(?:e|ed|es|ing)|tighten(?:ed|s|ing)?|scop(?:e|ed|es|ing) down|no longer (?:allows?|grants?|includes?))\b/gi;

/**
 * True when some match of `verb` in the sentence states a change, not a capability: "Added
 * permissions to allow EKS to remove tags" adds; its "to remove" describes what the permission does.
 * An infinitive still counts when a permission noun follows closely ("updated to add permissions").
 */
function statesChange(sentence: string, verb: RegExp): boolean {
  for (const m of sentence.matchAll(verb)) {
    const before = sentence.slice(Math.max(0, (m.index ?? 0) - 4), m.index).toLowerCase();
    if (!/\b(?:to|can) $/.test(before)) return true;
    const after = sentence.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 40);
    if (/^\s+(?:\S+\s+){0,2}(?:permissions?|access|actions?)\b/i.test(after)) return true;
  }
  return false;
}

/** Which way AWS's wording says permissions moved. Used to flag entries whose diff disagrees. */
export function statedDirection(item: MentionSource): StatedDirection {
  const text = `${item.title}. ${item.descriptionText}`;
  let added = false;
  let removed = false;
  for (const sentence of text.split(/(?<=[.;!?])\s+/)) {
    if (!PERMISSION_NOUN.test(sentence)) continue;
    if (statesChange(sentence, ADD_VERB)) added = true;
    if (statesChange(sentence, REMOVE_VERB)) removed = true;
  }
  if (added && removed) return 'mixed';
  if (added) return 'added';
  if (removed) return 'removed';
  return 'unknown';
}
