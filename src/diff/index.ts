// Public API of the semantic diff engine. Everything here is pure; the catalog's data is loaded by
// src/sources/catalog.ts (IO) and passed in.
export type * from './types.ts';
export { canonicalEqual, canonicalJson, documentHash } from './canonical.ts';
export { Catalog, type CatalogAction, type Expansion, normaliseAccessLevel } from './catalog.ts';
export { normalizePolicy, type NormalizedPolicy, type NormalizedStatement } from './normalize.ts';
export { PreparedDocument, literalKey } from './prepare.ts';
export { diffDocuments, createdSummary, prepareDocument } from './diff.ts';
export { FirstSeenTracker } from './first-seen.ts';
export { PRIVILEGE_ESCALATION_ACTIONS, isPrivilegeEscalation } from './enrich.ts';
export { covers, scopeDirection } from './scope.ts';
export { renderDiffText, renderGrant, type RenderOptions } from './render.ts';
export { coverage, type ActionCoverage } from './grants.ts';
