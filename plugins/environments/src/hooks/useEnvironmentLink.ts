import { useCallback } from 'react';
import { useRouteRef } from '@backstage/core-plugin-api';
import {
  ENVIRONMENTS_ROOT_PATH,
  EnvironmentLinkQuery,
  EnvironmentTab,
  environmentPath,
} from '@archipelago/plugin-environments-common';
import { rootRouteRef } from '../routes';

/** Where the environments pages are mounted in this app (/environments unless moved). */
export function useEnvironmentsRoot(): string {
  let root: string | undefined;
  try {
    // eslint-disable-next-line react-hooks/rules-of-hooks
    root = useRouteRef(rootRouteRef)();
  } catch {
    // The page is not mounted in this app (an entity tab alone): use the standard path.
  }
  return (root ?? ENVIRONMENTS_ROOT_PATH).replace(/\/+$/, '');
}

/** Links to environment pages: common's environmentPath, under this app's mount point. */
export function useEnvironmentLink() {
  const root = useEnvironmentsRoot();
  return useCallback(
    (name: string, tab?: EnvironmentTab, query?: EnvironmentLinkQuery) =>
      `${root}${environmentPath(name, tab, query).slice(
        ENVIRONMENTS_ROOT_PATH.length,
      )}`,
    [root],
  );
}

/** A tab link relative to where an environment view is shown (its page, or an entity tab). */
export function tabPath(
  basePath: string,
  tab: EnvironmentTab,
  query?: EnvironmentLinkQuery,
): string {
  // environmentPath puts the tab and query after /environments/<name>; keep only that part.
  const full = environmentPath('x', tab, query);
  return `${basePath.replace(/\/+$/, '')}${full.slice(
    `${ENVIRONMENTS_ROOT_PATH}/x`.length,
  )}`;
}
