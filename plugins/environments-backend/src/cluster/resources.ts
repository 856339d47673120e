/*
 * The Kubernetes resources Archipelago reads or writes, in one table. Drivers name the ones
 * they own; the watch cache watches what drivers and views need; prune walks what is owned.
 * Paths are built from this table, so no request needs API discovery.
 */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  /** The resource's plural name in API paths. */
  plural: string;
  namespaced: boolean;
  /**
   * Served only where its CRD is installed (the Gateway API's): where the API server does not
   * serve it, the watch cache holds none and prune skips it.
   */
  optional?: boolean;
}

export const RESOURCES = {
  namespaces: {
    apiVersion: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
  },
  pods: { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  nodes: { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  services: {
    apiVersion: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
  },
  configmaps: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
  },
  secrets: {
    apiVersion: 'v1',
    kind: 'Secret',
    plural: 'secrets',
    namespaced: true,
  },
  persistentvolumeclaims: {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    namespaced: true,
  },
  resourcequotas: {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    plural: 'resourcequotas',
    namespaced: true,
  },
  limitranges: {
    apiVersion: 'v1',
    kind: 'LimitRange',
    plural: 'limitranges',
    namespaced: true,
  },
  events: {
    apiVersion: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
  },
  deployments: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
  },
  statefulsets: {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    namespaced: true,
  },
  cronjobs: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    namespaced: true,
  },
  jobs: {
    apiVersion: 'batch/v1',
    kind: 'Job',
    plural: 'jobs',
    namespaced: true,
  },
  ingresses: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    plural: 'ingresses',
    namespaced: true,
  },
  networkpolicies: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    plural: 'networkpolicies',
    namespaced: true,
  },
  endpointslices: {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
  },
  horizontalpodautoscalers: {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
  },
  // The cluster's Service IP ranges (GA in Kubernetes 1.33): the capacity check counts them.
  servicecidrs: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'ServiceCIDR',
    plural: 'servicecidrs',
    namespaced: false,
    optional: true,
  },
  httproutes: {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    plural: 'httproutes',
    namespaced: true,
    optional: true,
  },
} satisfies Record<string, ResourceType>;

export type ResourceName = keyof typeof RESOURCES;

/** The resource of a manifest's apiVersion and kind. */
export function resourceOf(m: {
  apiVersion?: string;
  kind?: string;
}): { name: ResourceName; type: ResourceType } | undefined {
  for (const [name, type] of Object.entries(RESOURCES)) {
    if (type.apiVersion === m.apiVersion && type.kind === m.kind)
      return { name: name as ResourceName, type };
  }
  return undefined;
}

/** The API path of a resource collection, or of one object when a name is given. */
export function resourcePath(
  type: ResourceType,
  namespace?: string,
  name?: string,
): string {
  const group = type.apiVersion.includes('/')
    ? `/apis/${type.apiVersion}`
    : `/api/${type.apiVersion}`;
  const ns =
    type.namespaced && namespace
      ? `/namespaces/${encodeURIComponent(namespace)}`
      : '';
  return `${group}${ns}/${type.plural}${
    name ? `/${encodeURIComponent(name)}` : ''
  }`;
}
