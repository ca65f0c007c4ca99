// Whether an error means "the database cannot be reached or answer right now" (a 503 with
// Retry-After) rather than a bug (a 500). Errors arrive raw from pg or wrapped by Prisma's driver
// adapter, so the whole cause chain is searched for a connection-level sign.

// SQLSTATE: class 08 (connection exception), 57014 (statement timeout / cancel), 57P01–57P03
// (admin shutdown, crash shutdown, cannot connect now), 53300 (too many connections), 25P03
// (idle-in-transaction timeout).
const SQLSTATE = /^(08[0-9A-Z]{3}|57014|57P0[1-3]|53300|25P03)$/;
const SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// Prisma's codes for an unreachable server, a timeout, a closed connection, an exhausted pool.
const PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
// pg and pg-pool signal their own timeouts and lost connections by message only.
const PG_MESSAGES = /Query read timeout|timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Connection is closed|terminating connection/i;

function signals(e: Record<string, unknown>): boolean {
  const code = e.code ?? e.originalCode;
  if (typeof code === 'string' && (SQLSTATE.test(code) || SOCKET.has(code) || PRISMA.has(code))) return true;
  if (typeof e.kind === 'string' && ADAPTER_KINDS.has(e.kind)) return true;
  return typeof e.message === 'string' && PG_MESSAGES.test(e.message);
}

export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.size < 16) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (signals(o)) return true;
    const meta = o.meta as Record<string, unknown> | undefined;
    queue.push(o.cause, meta?.driverAdapterError, (meta?.driverAdapterError as { cause?: unknown } | undefined)?.cause);
  }
  return false;
}
