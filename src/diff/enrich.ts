// Per-action labels. Kept separate from the set algebra so the lists can be reviewed on their own.
import type { AccessLevel, ActionFlag } from './types.ts';

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

/** Flags that depend only on the action itself (first-seen flags are added by the diff). */
export function staticFlags(lowerAction: string, accessLevel: AccessLevel, unknown: boolean): ActionFlag[] {
  const flags: ActionFlag[] = [];
  if (accessLevel === 'Permissions management') flags.push('permissions-management');
  if (PRIVESC.has(lowerAction)) flags.push('privilege-escalation');
  if (unknown) flags.push('unknown-action');
  return flags;
}
