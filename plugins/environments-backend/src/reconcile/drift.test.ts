import { emptySnapshot } from '../cluster/WatchCache';
import { renderEnvironment } from '../render/render';
import { renderInput } from '../render/testFixtures';
import { detectDrift, differences } from './drift';

const spec = {
  name: 'feat-login',
  owner: 'group:default/backend',
  purpose: 'feature',
  services: [
    { name: 'global', version: '1.0', replicas: 2 },
    { name: 'ticker', version: '1' },
  ],
};

/** What the cluster would hold right after applying: our fields plus its own. */
function stored() {
  const snapshot = emptySnapshot();
  for (const m of renderEnvironment(renderInput(spec))) {
    const obj: any = {
      ...structuredClone(m),
      metadata: {
        ...structuredClone(m.metadata),
        uid: 'u',
        resourceVersion: '7',
      },
      status: {},
    };
    if (m.kind === 'Deployment') {
      obj.spec.progressDeadlineSeconds = 600;
      obj.spec.template.spec.containers[0].terminationMessagePath =
        '/dev/termination-log';
    }
    if (m.kind === 'Service') obj.spec.clusterIP = '10.96.0.10';
    const list: Record<string, keyof typeof snapshot> = {
      Deployment: 'deployments',
      Service: 'services',
      ConfigMap: 'configmaps',
      CronJob: 'cronjobs',
      NetworkPolicy: 'networkpolicies',
      ResourceQuota: 'resourcequotas',
      LimitRange: 'limitranges',
      Namespace: 'namespaces',
    };
    if (list[m.kind]) snapshot[list[m.kind]].push(obj);
  }
  return snapshot;
}

describe('detectDrift', () => {
  const desired = renderEnvironment(renderInput(spec));

  it('finds nothing when the cluster holds what was rendered, plus its own defaults', () => {
    expect(detectDrift(desired, stored())).toEqual([]);
  });

  it('names a deleted object', () => {
    const s = stored();
    s.deployments = [];
    s.configmaps = s.configmaps.filter(
      c => c.metadata?.name !== 'archipelago-discovery',
    );
    expect(detectDrift(desired, s)).toEqual([
      'Deployment/global-v1-0 was deleted',
      'ConfigMap/archipelago-discovery was deleted',
    ]);
  });

  it('names a workload scaled by hand, and an edited field', () => {
    const s = stored();
    (s.deployments[0] as any).spec.replicas = 5;
    (s.cronjobs[0] as any).spec.suspend = true;
    expect(detectDrift(desired, s)).toEqual([
      'Deployment/global-v1-0 was changed (spec.replicas: 2 wanted, 5 found)',
      'CronJob/ticker was changed (spec.suspend: false wanted, true found)',
    ]);
  });

  it('sees a NetworkPolicy rule that lost its peers', () => {
    const s = stored();
    (
      s.networkpolicies.find(
        n => n.metadata?.name === 'environment-isolation',
      ) as any
    ).spec.ingress = [{}];
    (
      s.networkpolicies.find(
        n => n.metadata?.name === 'environment-egress',
      ) as any
    ).spec.egress = [];
    expect(detectDrift(desired, s)).toEqual([
      'NetworkPolicy/environment-isolation was changed (spec.ingress[0].from: 3 item(s) wanted, none found)',
      'NetworkPolicy/environment-egress was changed (spec.egress: 2 item(s) wanted, 0 found)',
    ]);
  });
});

describe('differences', () => {
  it('compares scalars as text, arrays by length and position, objects by the wanted keys', () => {
    expect(
      differences({ a: 1, b: { c: 'x' } }, { a: '1', b: { c: 'x', d: 2 } }),
    ).toEqual([]);
    expect(differences({ a: [1, 2] }, { a: [1] })).toEqual([
      'a: 2 item(s) wanted, 1 found',
    ]);
    expect(differences({ a: { b: 1 } }, {})).toEqual(['a: missing']);
  });
});
