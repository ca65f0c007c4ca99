// Default AWS documentation-history feeds whose entries announce AWS managed policy changes.
//
// Why these URLs: every AWS guide publishes its "Document history" page as RSS at a fixed file
// under the guide's base URL, and each feed names itself in <atom:link rel="self">. The corpus
// copies show two naming schemes: `<guide>/doc-history.rss` (EKS, self link
// https://docs.aws.amazon.com/eks/latest/userguide/doc-history.rss) and a guide-specific name
// (Organizations, self link .../userguide/aws-organizations-release-notes.rss). The per-service
// "Policy updates" tables, e.g. the Amazon Q Developer managed-policies page, tell readers to
// "subscribe to the RSS feed on the Document history ... page", so those feeds are where managed
// policy updates are announced. `evidence` records how sure each URL is:
//   - 'self-link': seen as the feed's own atom:link in a real copy (shared/corpus/rss);
//   - 'public-listing': the exact URL appears in public feed lists/code that poll AWS docs;
//   - 'url-pattern': inferred from the `<guide base>/doc-history.rss` scheme; unverified offline.
// A wrong URL costs one recorded `http-<status>` problem per poll, nothing more.
//
// `services` are IAM service prefixes whose managed policies the guide documents, so a caller can
// decide which feed may explain a change to a given policy. '*' means the feed covers all services.

export type FeedEvidence = 'self-link' | 'public-listing' | 'url-pattern';

export interface DefaultFeed {
  readonly url: string;
  readonly title: string;
  readonly services: readonly string[];
  readonly evidence: FeedEvidence;
}

export const DEFAULT_FEEDS: readonly DefaultFeed[] = Object.freeze([
  {
    // Seed page's "Policy updates" table covers AmazonQFullAccess, AmazonQDeveloperAccess and the
    // two service-linked-role policies (user-subscriptions); CodeWhisperer policies moved into this guide.
    url: 'https://docs.aws.amazon.com/amazonq/latest/qdeveloper-ug/doc-history.rss',
    title: 'Amazon Q Developer User Guide document history',
    services: ['q', 'codewhisperer', 'user-subscriptions'],
    evidence: 'public-listing',
  },
  {
    // The IAM guide documents job-function policies and IAM/STS/Access Analyzer policies.
    url: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/aws-iam-release-notes.rss',
    title: 'IAM User Guide document history',
    services: ['iam', 'sts', 'access-analyzer'],
    evidence: 'public-listing',
  },
  {
    url: 'https://docs.aws.amazon.com/eks/latest/userguide/doc-history.rss',
    title: 'Amazon EKS User Guide document history',
    services: ['eks'],
    evidence: 'self-link',
  },
  {
    url: 'https://docs.aws.amazon.com/organizations/latest/userguide/aws-organizations-release-notes.rss',
    title: 'AWS Organizations User Guide release notes',
    services: ['organizations'],
    evidence: 'self-link',
  },
  {
    url: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/amazon-cloudwatch-document-history.rss',
    title: 'Amazon CloudWatch User Guide document history',
    services: ['cloudwatch', 'synthetics', 'rum', 'application-signals'],
    evidence: 'public-listing',
  },
  {
    // SageMaker has one of the largest families of AWS managed policies, updated most months.
    url: 'https://docs.aws.amazon.com/sagemaker/latest/dg/doc-history.rss',
    title: 'Amazon SageMaker AI Developer Guide document history',
    services: ['sagemaker'],
    evidence: 'url-pattern',
  },
  {
    url: 'https://docs.aws.amazon.com/config/latest/developerguide/doc-history.rss',
    title: 'AWS Config Developer Guide document history',
    services: ['config'],
    evidence: 'url-pattern',
  },
  {
    url: 'https://docs.aws.amazon.com/systems-manager/latest/userguide/doc-history.rss',
    title: 'AWS Systems Manager User Guide document history',
    services: ['ssm', 'ssm-guiconnect', 'ssm-quicksetup'],
    evidence: 'url-pattern',
  },
]);

/** Default feeds that document policies of the given IAM service prefix (case-insensitive). */
export function feedsForService(servicePrefix: string, feeds: readonly DefaultFeed[] = DEFAULT_FEEDS): DefaultFeed[] {
  const p = servicePrefix.toLowerCase();
  return feeds.filter((f) => f.services.includes('*') || f.services.includes(p));
}
