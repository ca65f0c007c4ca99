// The base of every link we publish (Atom/RSS entries, alerts, the dashboard): from
// POLICYWATCH_PUBLIC_URL, else the address the server is bound to. Never from a request's Host
// header, which the client chooses: a link built from it points wherever the client wants.
import type { Config } from './env.ts';

/** Where the server listens (the port may differ from config when PORT=0). */
export interface BoundAddress {
  address: string;
  port: number;
}

export function publicBaseUrl(config: Pick<Config, 'publicUrl' | 'host' | 'port'>, bound?: BoundAddress | null): string {
  if (config.publicUrl) return config.publicUrl;
  const host = bound?.address ?? config.host;
  const port = bound?.port ?? config.port;
  // A wildcard bind names no host a reader could reach; localhost is the honest default.
  const name = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}
