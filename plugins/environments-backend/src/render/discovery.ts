/*
 * Discovery (seed 001): a service this environment does not run resolves to the nearest base
 * that does, through an ExternalName Service of the same name; and one ConfigMap lists where
 * every name answers.
 */
import {
  FALLBACK_LABEL,
  SERVICE_LABEL,
} from '@archipelago/plugin-environments-common';
import type { ResourceName } from '../cluster/resources';
import { environmentLabels, objectMeta } from './common';
import type { Manifest, RenderInput } from './types';

export const DISCOVERY_RESOURCES: readonly ResourceName[] = [
  'services',
  'configmaps',
];

export const DISCOVERY_CONFIGMAP = 'archipelago-discovery';

/** `addressable`: the services this environment runs that have a Service of their own. */
export function renderDiscovery(
  input: RenderInput,
  addressable: string[],
): Manifest[] {
  const { spec, namespace, clusterDomain } = input;
  const labels = environmentLabels(spec, input.revision);
  const discovery: Record<string, { environment: string; address: string }> =
    {};
  for (const name of addressable) {
    discovery[name] = {
      environment: spec.name,
      address: `${name}.${namespace}.svc.${clusterDomain}`,
    };
  }
  const own = new Set(input.services.map(s => s.name));
  const objects: Manifest[] = [];
  for (const fb of input.fallbacks) {
    if (own.has(fb.service) || discovery[fb.service]) continue;
    const address = `${fb.service}.${fb.namespace}.svc.${clusterDomain}`;
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(namespace, fb.service, {
        ...labels,
        [SERVICE_LABEL]: fb.service,
        [FALLBACK_LABEL]: fb.environment,
      }),
      spec: { type: 'ExternalName', externalName: address },
    });
    discovery[fb.service] = { environment: fb.environment, address };
  }
  objects.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(namespace, DISCOVERY_CONFIGMAP, labels),
    data: {
      'services.json': JSON.stringify(
        Object.fromEntries(
          Object.entries(discovery).sort(([a], [b]) => a.localeCompare(b)),
        ),
        null,
        2,
      ),
    },
  });
  return objects;
}
