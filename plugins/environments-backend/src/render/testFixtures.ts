import {
  EnvironmentSpec,
  ResolvedService,
  environmentSpecSchema,
  resolveServices,
  ServiceDefinition,
} from '@archipelago/plugin-environments-common';
import { RenderInput } from './render';

export const studioDefinitions: Record<string, ServiceDefinition> = {
  'component:default/game': {
    image: 'registry.local/studio/game',
    kind: 'socket',
    ports: [{ name: 'game', port: 10001 }],
    probes: { readiness: { tcp: { port: 'game' }, periodSeconds: 5 } },
    volumes: [{ name: 'code', type: 'code', mountPath: '/home/server' }],
  },
  'component:default/global': {
    image: 'registry.local/studio/global',
    kind: 'http',
    ports: [{ name: 'http', port: 20001 }],
    env: { LOG_LEVEL: 'info' },
  },
  'component:default/matching': {
    image: 'registry.local/studio/matching',
    kind: 'backend',
    volumes: [
      { name: 'data', type: 'persistent', mountPath: '/data', size: '2Gi' },
    ],
  },
  'component:default/ticker': {
    image: 'registry.local/studio/ticker',
    kind: 'cron',
    schedule: '*/5 * * * *',
  },
  'component:default/migrate': {
    image: 'registry.local/studio/migrate',
    kind: 'job',
  },
  // Seed 002's game server: three allocated ports, code from a volume, its own clock.
  'component:default/altraserver': {
    image: 'registry.local/studio/altraserver',
    defaultVersion: '1.0.0',
    kind: 'island',
    island: {
      ports: ['app-common-port', 'remote-msg-port', 'server-port'],
      command: [
        'sh',
        '/home/seed.sh',
        '{{id}}',
        'false',
        '{{port:server-port}}',
        '{{clock}}',
      ],
    },
    resources: {
      requests: { memory: '1500Mi' },
      limits: { memory: '2048Mi' },
    },
    nodeSelector: { branch: 'dev' },
    hostAliases: [{ ip: '10.18.1.203', hostnames: ['www.hisaobi.com'] }],
    volumes: [{ name: 'server', type: 'code', mountPath: '/home/server' }],
    security: { runAsRoot: true, capabilities: ['NET_ADMIN', 'SYS_TIME'] },
  },
};

export function resolved(spec: unknown): {
  spec: EnvironmentSpec;
  services: ResolvedService[];
} {
  const parsed = environmentSpecSchema.parse(spec);
  const r = resolveServices(parsed, ref => studioDefinitions[ref]);
  if (!r.success) throw new Error(JSON.stringify(r.errors));
  return { spec: parsed, services: r.value };
}

export function renderInput(
  spec: unknown,
  extra: Partial<RenderInput> = {},
): RenderInput {
  const r = resolved(spec);
  return {
    ...r,
    environmentId: `id-${r.spec.name}`,
    revision: 1,
    namespace: `env-${r.spec.name}`,
    sizing: {
      quota: {
        cpu: '8',
        memory: '16Gi',
        pods: 50,
        storage: '100Gi',
        claims: 20,
      },
      defaultRequests: { cpu: '100m', memory: '128Mi' },
      defaultLimits: { cpu: '1', memory: '1Gi' },
    },
    stopped: [],
    restartedAt: {},
    fallbacks: [],
    ingressNamespace: 'ingress-nginx',
    clusterDomain: 'cluster.local',
    ...extra,
  };
}
