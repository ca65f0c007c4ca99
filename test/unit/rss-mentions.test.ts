import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFeed } from '../../src/sources/rss/parse.ts';
import type { FeedItem } from '../../src/sources/rss/parse.ts';
import { classifyEntry, extractPolicyMentions, statedDirection } from '../../src/sources/rss/mentions.ts';
import { htmlToText } from '../../src/sources/rss/text.ts';

const corpus = new URL('../fixtures/rss/', import.meta.url);
const fixtures = new URL('../fixtures/rss/', import.meta.url);

async function feedItems(base: URL, name: string, url: string): Promise<FeedItem[]> {
  return (await parseFeed(readFileSync(new URL(name, base), 'utf8'), url)).items;
}

// parseFeed is asynchronous; the suites below are declared synchronously, so parse up front.
const eksItems = await feedItems(corpus, 'eks-userguide-doc-history.rss.excerpt.xml', 'https://docs.aws.amazon.com/eks/latest/userguide/doc-history.rss');
const orgsItems = await feedItems(corpus, 'organizations-release-notes.rss.excerpt.xml', 'https://docs.aws.amazon.com/organizations/latest/userguide/aws-organizations-release-notes.rss');
const qItems = await feedItems(fixtures, 'amazonq-doc-history.rss.xml', 'https://docs.aws.amazon.com/amazonq/latest/qdeveloper-ug/doc-history.rss');

function byGuidSuffix(items: FeedItem[], suffix: string): FeedItem {
  const found = items.find((i) => i.guid.endsWith(suffix));
  assert.ok(found, `no item with guid ending ${suffix}`);
  return found;
}

function entry(title: string, descriptionHtml = '', link: string | null = null) {
  return { title, descriptionHtml, descriptionText: htmlToText(descriptionHtml), link };
}

// Real AWS managed policy names (from the AWS policy list) that the corpus entries talk about.
const KNOWN = new Set([
  'AmazonEKSServiceRolePolicy', 'AmazonEKSComputePolicy', 'AmazonEKSLocalOutpostServiceRolePolicy',
  'AmazonEKSDashboardConsoleReadOnly', 'AWSOrganizationsFullAccess', 'AWSOrganizationsReadOnlyAccess',
  'AmazonQFullAccess', 'AmazonQDeveloperAccess', 'AWSServiceRoleForAmazonQDeveloper', 'AWSServiceRoleForUserSubscriptions',
]);

describe('EKS corpus feed', () => {
  const items = eksItems;

  test('one entry naming two policies resolves both, in order', () => {
    const it = byGuidSuffix(items, '#AWS_managed_policy_updates_2025-06-20');
    assert.deepEqual(extractPolicyMentions(it, KNOWN), { resolved: ['AmazonEKSServiceRolePolicy', 'AmazonEKSComputePolicy'], unresolved: [] });
    assert.equal(classifyEntry(it), 'updated_policy');
    assert.equal(statedDirection(it), 'added');
  });

  test('actions in <code> are not policies; an unknown access policy is reported unresolved', () => {
    const it = byGuidSuffix(items, '#AWS_managed_policy_updates_2025-08-26');
    const m = extractPolicyMentions(it, KNOWN);
    assert.deepEqual(m.resolved, ['AmazonEKSServiceRolePolicy']);
    // AmazonEKSEventPolicy is an EKS access policy, not an IAM managed policy: the caller decides.
    assert.deepEqual(m.unresolved, ['AmazonEKSEventPolicy']);
    // "Added permission ... Restricted permissions for ec2:DeleteLaunchTemplate" says both.
    assert.equal(statedDirection(it), 'mixed');
  });

  test('"Added <code>X</code> policy." is a new policy', () => {
    const it = byGuidSuffix(items, '#Managed_policy_updates_2025-06-19');
    assert.deepEqual(extractPolicyMentions(it, KNOWN).resolved, ['AmazonEKSDashboardConsoleReadOnly']);
    assert.equal(classifyEntry(it), 'new_policy');
  });

  test('entries that are not about policies classify as other and name nothing', () => {
    for (const suffix of ['#Kubernetes_version_1.34_2025-10-02', '#Amazon_EKS_platform_version_update_2025-07-30', '#Cross-service_confused_deputy_prevention_2025-08-19']) {
      const it = byGuidSuffix(items, suffix);
      assert.equal(classifyEntry(it), 'other', suffix);
      assert.deepEqual(extractPolicyMentions(it, KNOWN), { resolved: [], unresolved: [] }, suffix);
    }
  });

  test('resolution is case-sensitive: a known-name set without the names resolves nothing', () => {
    const it = byGuidSuffix(items, '#AWS_managed_policy_updates_2025-06-26');
    assert.deepEqual(extractPolicyMentions(it, KNOWN).resolved, ['AmazonEKSLocalOutpostServiceRolePolicy']);
    const lower = new Set([...KNOWN].map((n) => n.toLowerCase()));
    assert.deepEqual(extractPolicyMentions(it, lower), { resolved: [], unresolved: ['AmazonEKSLocalOutpostServiceRolePolicy'] });
  });
});

describe('Organizations corpus feed', () => {
  const items = orgsItems;

  test('names in a wrapped title resolve', () => {
    const it = byGuidSuffix(items, 'managed_policies_2022-10-21');
    assert.deepEqual(extractPolicyMentions(it, KNOWN), { resolved: ['AWSOrganizationsFullAccess', 'AWSOrganizationsReadOnlyAccess'], unresolved: [] });
    assert.equal(classifyEntry(it), 'updated_policy');
  });

  test('names in plain-text descriptions resolve', () => {
    const it = byGuidSuffix(items, '#Organizations_managed_policy_updates_-_Update_to_an_existing_policy_2022-02-07');
    assert.deepEqual(extractPolicyMentions(it, KNOWN).resolved, ['AWSOrganizationsFullAccess', 'AWSOrganizationsReadOnlyAccess']);
    assert.equal(classifyEntry(it), 'updated_policy');
  });

  test('"by adding the permission" states an addition', () => {
    const it = byGuidSuffix(items, '#Updated_the_AWSOrganizationsFullAccess_managed_policy_2022-08-24');
    assert.deepEqual(extractPolicyMentions(it, KNOWN).resolved, ['AWSOrganizationsFullAccess']);
    assert.equal(statedDirection(it), 'added');
  });

  test('feature announcements are other', () => {
    assert.equal(classifyEntry(byGuidSuffix(items, '#Organizations_close_account_capability_from_the_AWS_Organizations_console_2022-03-29')), 'other');
  });
});

describe('Amazon Q Developer fixture', () => {
  const items = qItems;

  test('2024-11-13 entries resolve to their policy and are updates that add permissions', () => {
    const full = byGuidSuffix(items, '#AmazonQFullAccess_-_Updated_policy_2024-11-13');
    const dev = byGuidSuffix(items, '#AmazonQDeveloperAccess_-_Updated_policy_2024-11-13');
    assert.deepEqual(extractPolicyMentions(full, KNOWN), { resolved: ['AmazonQFullAccess'], unresolved: [] });
    assert.deepEqual(extractPolicyMentions(dev, KNOWN), { resolved: ['AmazonQDeveloperAccess'], unresolved: [] });
    assert.equal(classifyEntry(full), 'updated_policy');
    assert.equal(classifyEntry(dev), 'updated_policy');
  });

  test('2024-07-09 AmazonQFullAccess says permissions were added (the diff replaced q:* with a list)', () => {
    const it = byGuidSuffix(items, '#AmazonQFullAccess_-_Updated_policy_2024-07-09');
    assert.equal(statedDirection(it), 'added');
    assert.equal(classifyEntry(it), 'updated_policy');
  });

  test('2024-04-30 subscription-check entry and the new-policy rows', () => {
    const sub = byGuidSuffix(items, '#AmazonQFullAccess_-_Updated_policy_2024-04-30');
    assert.match(sub.descriptionText, /subscriptions checks/);
    assert.equal(classifyEntry(sub), 'updated_policy');
    assert.equal(classifyEntry(byGuidSuffix(items, '#AmazonQDeveloperAccess_-_New_policy_2024-07-09')), 'new_policy');
    assert.equal(classifyEntry(byGuidSuffix(items, '#AmazonQFullAccess_-_New_policy_2023-11-28')), 'new_policy');
    assert.equal(classifyEntry(byGuidSuffix(items, '#Amazon_Q_Developer_started_tracking_changes_2023-11-28')), 'other');
  });

  test('the page names service-role policies IAM does not have: reported unresolved', () => {
    const it = byGuidSuffix(items, '#AWSServiceRoleForUserSubscriptionPolicy_-_New_policy_2024-04-30');
    assert.deepEqual(extractPolicyMentions(it, KNOWN), { resolved: [], unresolved: ['AWSServiceRoleForUserSubscriptionPolicy'] });
  });
});

describe('wording variants', () => {
  test('en dash and em dash titles', () => {
    assert.deepEqual(extractPolicyMentions(entry('AmazonQDeveloperAccess \u2013 Updated policy'), KNOWN).resolved, ['AmazonQDeveloperAccess']);
    assert.equal(classifyEntry(entry('AmazonQDeveloperAccess \u2013 Updated policy')), 'updated_policy');
    assert.equal(classifyEntry(entry('AmazonQFullAccess \u2014 New policy')), 'new_policy');
    assert.equal(classifyEntry(entry('AmazonQFullAccess - Deprecated policy')), 'deprecated_policy');
    assert.equal(classifyEntry(entry('Policy updated', 'Updated <code class="code">AmazonQFullAccess</code>.')), 'updated_policy');
  });

  test('several policies in one description; unknown code names reported once', () => {
    const e = entry('AWS managed policy updates', 'Updated <code class="code">AmazonQFullAccess</code>, <code class="code">AmazonQDeveloperAccess</code> and <code class="code">AmazonQFutureAccess</code>. <code class="code">AmazonQFutureAccess</code> again.');
    assert.deepEqual(extractPolicyMentions(e, KNOWN), { resolved: ['AmazonQFullAccess', 'AmazonQDeveloperAccess'], unresolved: ['AmazonQFutureAccess'] });
  });

  test('deprecation wording', () => {
    const e = entry('AWS managed policy updates', 'The <code class="code">AmazonQFullAccess</code> policy is deprecated and no longer attachable.');
    assert.equal(classifyEntry(e), 'deprecated_policy');
    assert.equal(classifyEntry(entry('Kubernetes version 1.24 deprecated', 'Support ends.')), 'other');
  });

  test('stated direction', () => {
    const d = (html: string) => statedDirection(entry('AWS managed policy updates', html));
    assert.equal(d('Removed permissions from <code class="code">X</code>.'), 'removed');
    assert.equal(d('The policy was scoped down to specific resources.'), 'removed');
    assert.equal(d('Reduced the permissions of the policy.'), 'removed');
    assert.equal(d('Added permissions to allow Amazon EKS to remove tags from instances.'), 'added');
    assert.equal(d('Updated the policy to add permissions for tagging.'), 'added');
    assert.equal(d('Added ec2:DescribeTags and removed ec2:DeleteTags permissions.'), 'mixed');
    assert.equal(d('Fixed a typo in the documentation.'), 'unknown');
  });
});
