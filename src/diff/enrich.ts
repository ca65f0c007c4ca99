// Per-action labels. Kept separate from the set algebra so the lists can be reviewed on their own.
import type { Bits } from './bitset.ts';
import type { Catalog } from './catalog.ts';
import type { AccessLevel, ActionFlag, SeenBefore } from './types.ts';

/**
 * Actions that appear in published IAM privilege-escalation paths, alone or combined with
 * iam:PassRole. Sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation" (S. Gietzen, 2018),
 *   https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/ (methods 1–21).
 * - Bishop Fox iam-vulnerable, modules/free-resources/privesc-paths/*.tf
 *   (https://github.com/BishopFox/iam-vulnerable), which adds the SageMaker, SSM, CodeBuild,
 *   EC2 Instance Connect and CloudFormation UpdateStack paths.
 * Components of a multi-permission path (e.g. ec2:RunInstances, which needs iam:PassRole) are
 * flagged too: a managed policy may supply the missing half of a path that another policy completes.
 */
export const PRIVILEGE_ESCALATION_ACTIONS: readonly string[] = [
  // Rhino 1–14: IAM itself
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:PassRole',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'iam:AttachUserPolicy',
  'iam:AttachGroupPolicy',
  'iam:AttachRolePolicy',
  'iam:PutUserPolicy',
  'iam:PutGroupPolicy',
  'iam:PutRolePolicy',
  'iam:AddUserToGroup',
  'iam:UpdateAssumeRolePolicy',
  'sts:AssumeRole',
  // Rhino 3, 15–21: services that run code with a passed role
  'ec2:RunInstances',
  'lambda:CreateFunction',
  'lambda:InvokeFunction',
  'lambda:CreateEventSourceMapping',
  'lambda:UpdateFunctionCode',
  'glue:CreateDevEndpoint',
  'glue:UpdateDevEndpoint',
  'cloudformation:CreateStack',
  'datapipeline:CreatePipeline',
  'datapipeline:PutPipelineDefinition',
  // Bishop Fox iam-vulnerable additions
  'cloudformation:UpdateStack',
  'codebuild:CreateProject',
  'codebuild:StartBuild',
  'ec2-instance-connect:SendSSHPublicKey',
  'sagemaker:CreateNotebookInstance',
  'sagemaker:CreatePresignedNotebookInstanceUrl',
  'sagemaker:CreateProcessingJob',
  'sagemaker:CreateTrainingJob',
  'ssm:SendCommand',
  'ssm:StartSession',
];

const PRIVESC = new Set(PRIVILEGE_ESCALATION_ACTIONS.map((a) => a.toLowerCase()));

export function isPrivilegeEscalation(lowerAction: string): boolean {
  return PRIVESC.has(lowerAction);
}

// Flags as bits. A result can hold 500,000+ entries, so entries share one frozen array per flag
// combination instead of allocating their own; the order is the order the flags were always listed in.
export const FLAG_ORDER: readonly ActionFlag[] = ['permissions-management', 'privilege-escalation', 'unknown-action', 'first-seen-action', 'first-seen-service'];
export const FIRST_SEEN_ACTION = 1 << FLAG_ORDER.indexOf('first-seen-action');
export const FIRST_SEEN_SERVICE = 1 << FLAG_ORDER.indexOf('first-seen-service');
const FLAG_LISTS: readonly ActionFlag[][] = Array.from({ length: 1 << FLAG_ORDER.length }, (_, bits) =>
  Object.freeze(FLAG_ORDER.filter((_, i) => (bits & (1 << i)) !== 0)) as ActionFlag[],
);

/** Flags that depend only on the action itself (first-seen flags are added by the diff). */
export function staticFlagBits(lowerAction: string, accessLevel: AccessLevel, unknown: boolean): number {
  return (accessLevel === 'Permissions management' ? 1 : 0) | (PRIVESC.has(lowerAction) ? 2 : 0) | (unknown ? 4 : 0);
}

/** The shared, frozen flag list for a set of flag bits (callers must copy before changing it). */
export function flagList(bits: number): ActionFlag[] {
  return FLAG_LISTS[bits] as ActionFlag[];
}

/**
 * FirstSeenTracker's SeenBefore carries its id bit set under this key: a catalog action is in
 * `actions` exactly when its id is in the set, and testing a bit is cheaper than hashing the name
 * for every added entry. Other SeenBefore implementations are asked through `actions.has`.
 */
export const SEEN_IDS = Symbol('seen catalog ids');

export interface SeenIds {
  catalog: Catalog;
  ids: Bits;
}

export function seenIdsOf(seen: SeenBefore | undefined, catalog: Catalog): Bits | undefined {
  const s = (seen as { [SEEN_IDS]?: SeenIds } | undefined)?.[SEEN_IDS];
  return s?.catalog === catalog ? s.ids : undefined;
}
