/*
 * What an environment's services may reach on a cluster (see docs/security.md): images from
 * the allowed registries, nodeSelector keys from an allowed list, capabilities only from the
 * service definition and only those the cluster allows, and ingress hosts under the cluster's
 * suffix that no other live environment uses. Pure: resolved services and the cluster's
 * policy in, field errors out.
 */
import type {
  FieldError,
  ResolvedService,
} from '@archipelago/plugin-environments-common';
import type { ClusterPolicy } from '../config';

/** An ingress host another live environment holds. */
export interface HeldHost {
  host: string;
  environment: string;
}

const registryOf = (image: string) => image.split('/')[0];

export function checkReach(
  services: ResolvedService[],
  policy: ClusterPolicy | undefined,
  options: {
    cluster: string;
    /** Hosts other live environments of the cluster hold. */
    heldHosts?: HeldHost[];
    /** Where each service sits in the request (services[i]); defaults to its position. */
    pathOf?: (service: string) => string;
  },
): FieldError[] {
  const errors: FieldError[] = [];
  const key = (c: string) =>
    `environments.clusters (${options.cluster}).policy.${c}`;
  services.forEach((svc, i) => {
    const at = (f: string) =>
      `${options.pathOf?.(svc.name) ?? `services[${i}]`}.${f}`;
    const allowed = policy?.allowedRegistries;
    // A prefix ends at a "/": "registry.local" allows registry.local/..., not
    // registry.local.evil.io/...
    const whole = (prefix: string) =>
      prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (allowed && !allowed.some(prefix => svc.image.startsWith(whole(prefix))))
      errors.push({
        path: at('image'),
        message: `"${svc.image}" is not from an allowed registry (${key(
          'allowedRegistries',
        )}: ${allowed.join(', ') || 'none'}); its registry is ${registryOf(
          svc.image,
        )}`,
      });
    const keys = policy?.allowedNodeSelectorKeys;
    for (const k of Object.keys(svc.nodeSelector ?? {})) {
      if (keys && !keys.includes(k))
        errors.push({
          path: at(`nodeSelector.${k}`),
          message: `is not an allowed nodeSelector key (${key(
            'allowedNodeSelectorKeys',
          )}: ${keys.join(', ') || 'none'})`,
        });
    }
    const caps = policy?.allowedCapabilities ?? [];
    for (const cap of svc.security?.capabilities ?? []) {
      if (!caps.includes(cap))
        errors.push({
          path: at('security.capabilities'),
          message: `${cap}, asked for by ${
            svc.component
          }'s service definition, is not allowed on this cluster (${key(
            'allowedCapabilities',
          )}: ${caps.join(', ') || 'none'})`,
        });
    }
    if (svc.ingress) {
      const host = svc.ingress.host;
      const suffix = policy?.ingressHostSuffix;
      if (suffix) {
        const dotted = suffix.startsWith('.') ? suffix : `.${suffix}`;
        if (!host.endsWith(dotted) || host.length === dotted.length)
          errors.push({
            path: at('ingress.host'),
            message: `"${host}" must end with "${dotted}" (${key(
              'ingressHostSuffix',
            )})`,
          });
      }
      const held = options.heldHosts?.find(h => h.host === host);
      if (held)
        errors.push({
          path: at('ingress.host'),
          message: `"${host}" is already the host of environment "${held.environment}"`,
        });
      // Prefix paths: "/a" and "/a/" match the same requests.
      const plain = (p?: string) => (p ?? '/').replace(/\/+$/, '') || '/';
      const same = services.findIndex(
        o =>
          o !== svc &&
          o.ingress?.host === host &&
          plain(o.ingress.path) === plain(svc.ingress!.path),
      );
      if (same >= 0 && same < i)
        errors.push({
          path: at('ingress.path'),
          message: `"${
            svc.ingress.path ?? '/'
          }" on ${host} is already the path of service "${
            services[same].name
          }"`,
        });
    }
  });
  return errors;
}
