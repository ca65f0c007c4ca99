// `policywatch keys create --role admin|read [--name N]`, `keys list`, `keys revoke <id>`.
// The new key goes alone to stdout (KEY=$(policywatch keys create …) works); what it is goes
// to stderr. It is never printed again: only its hash is stored.
import { parseArgs } from 'node:util';
import type { Services } from '../container.ts';
import type { ApiKeyRow } from '../core/api-keys.ts';
import { BadRequestError } from '../core/errors.ts';

export interface KeysCommandIo {
  out(text: string): void;
  err(text: string): void;
}

const when = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

function table(rows: ApiKeyRow[]): string {
  const head = ['id', 'name', 'role', 'key', 'created', 'last used', 'revoked'];
  const body = rows.map((r) => [r.id, r.name, r.role, `${r.prefix}…`, when(r.createdAt), when(r.lastUsedAt), when(r.revokedAt)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  return [head, ...body].map((cols) => cols.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd()).join('\n');
}

export async function keysCommand(services: Services, args: string[], io: KeysCommandIo): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': {
      const { values } = parseArgs({ args: rest, options: { role: { type: 'string' }, name: { type: 'string' } } });
      if (!values.role) throw new BadRequestError('INVALID_ROLE', 'keys create needs --role admin or --role read');
      const { key, apiKey } = await services.apiKeys.create({ role: values.role, name: values.name });
      io.err(`created ${apiKey.role} key ${apiKey.id} "${apiKey.name}"; store it now, it cannot be shown again\n`);
      io.out(`${key}\n`);
      return 0;
    }
    case 'list': {
      parseArgs({ args: rest, options: {} });
      const rows = await services.apiKeys.list();
      io.out(rows.length ? `${table(rows)}\n` : 'no API keys (POLICYWATCH_ADMIN_API_KEY, when set, works besides these)\n');
      return 0;
    }
    case 'revoke': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      if (positionals.length !== 1) throw new BadRequestError('INVALID_ARGUMENTS', 'keys revoke takes one argument: the key id (see keys list)');
      const row = await services.apiKeys.revoke(positionals[0] as string);
      io.out(`revoked key ${row.id} "${row.name}" (${row.role}) at ${when(row.revokedAt)}\n`);
      return 0;
    }
    default:
      throw new BadRequestError('INVALID_ARGUMENTS', sub ? `unknown keys command "${sub}" (create, list, revoke)` : 'keys needs a command: create, list or revoke');
  }
}
