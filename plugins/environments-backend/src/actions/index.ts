/*
 * The environment lifecycle as Backstage actions (the actions registry), which Backstage's MCP
 * actions server offers to agents. One action per file; each asks the same permissions and
 * records the same audit events as the REST API (docs/agents.md).
 */
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { registerApplyEnvironmentAction } from './applyEnvironment';
import { registerControlServicesAction } from './controlServices';
import { registerCreateEnvironmentAction } from './createEnvironment';
import { registerDeployServicesAction } from './deployServices';
import { registerDestroyEnvironmentAction } from './destroyEnvironment';
import { registerExtendEnvironmentAction } from './extendEnvironment';
import { registerGetEnvironmentAction } from './getEnvironment';
import { registerGetLogsAction } from './getLogs';
import { registerListEnvironmentsAction } from './listEnvironments';
import { registerResolveServiceAction } from './resolveService';
import { registerWaitForEnvironmentAction } from './waitForEnvironment';
import type { ActionDeps } from './shared';

export type { ActionDeps } from './shared';

export function registerEnvironmentActions(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  for (const register of [
    registerListEnvironmentsAction,
    registerGetEnvironmentAction,
    registerCreateEnvironmentAction,
    registerApplyEnvironmentAction,
    registerWaitForEnvironmentAction,
    registerDeployServicesAction,
    registerControlServicesAction,
    registerExtendEnvironmentAction,
    registerDestroyEnvironmentAction,
    registerGetLogsAction,
    registerResolveServiceAction,
  ])
    register(registry, deps);
}
