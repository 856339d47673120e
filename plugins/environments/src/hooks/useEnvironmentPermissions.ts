import { useMemo } from 'react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  environmentDeletePermission,
  environmentExecPermission,
  environmentLogsReadPermission,
  environmentUpdatePermission,
} from '@archipelago/plugin-environments-common';

export interface PermissionState {
  allowed: boolean;
  loading: boolean;
  /** The permission's name, to say what was refused. */
  permission: string;
}

export interface EnvironmentPermissions {
  /** Deploy, start/stop/restart, roll back, extend. */
  update: PermissionState;
  delete: PermissionState;
  logs: PermissionState;
  /** A terminal in a pod's container. */
  exec: PermissionState;
}

/** What the signed-in user may do with one environment, as the backend's policy decides. */
export function useEnvironmentPermissions(
  name: string,
): EnvironmentPermissions {
  const update = usePermission({
    permission: environmentUpdatePermission,
    resourceRef: name,
  });
  const remove = usePermission({
    permission: environmentDeletePermission,
    resourceRef: name,
  });
  const logs = usePermission({
    permission: environmentLogsReadPermission,
    resourceRef: name,
  });
  const exec = usePermission({
    permission: environmentExecPermission,
    resourceRef: name,
  });
  // The same object while the answers stay the same, so pages that share it do not redraw.
  return useMemo(
    () => ({
      update: {
        allowed: update.allowed,
        loading: update.loading,
        permission: environmentUpdatePermission.name,
      },
      delete: {
        allowed: remove.allowed,
        loading: remove.loading,
        permission: environmentDeletePermission.name,
      },
      logs: {
        allowed: logs.allowed,
        loading: logs.loading,
        permission: environmentLogsReadPermission.name,
      },
      exec: {
        allowed: exec.allowed,
        loading: exec.loading,
        permission: environmentExecPermission.name,
      },
    }),
    [
      update.allowed,
      update.loading,
      remove.allowed,
      remove.loading,
      logs.allowed,
      logs.loading,
      exec.allowed,
      exec.loading,
    ],
  );
}
