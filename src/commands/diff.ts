// `policywatch diff <policy> <from> <to> [--json]`: the on-demand diff, rendered for a person
// (colour only on a terminal that has not asked for NO_COLOR) or as the API's JSON.
import type { Services } from '../container.ts';
import { renderDiffText } from '../diff/index.ts';
import { versionNumber } from '../core/canonical.ts';

export interface DiffCommandIo {
  write(text: string): void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
}

export async function diffCommand(services: Services, args: { policy: string; from: string; to: string; json: boolean }, io: DiffCommandIo): Promise<number> {
  for (const v of [args.from, args.to]) versionNumber(v); // throws InvalidVersionIdError with a clear message
  const result = await services.changes.diff(args.policy, args.from, args.to);
  if (args.json) {
    io.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const color = io.isTTY && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  io.write(`${args.policy} ${args.from} → ${args.to}\n${renderDiffText(result, { color })}\n`);
  return 0;
}

