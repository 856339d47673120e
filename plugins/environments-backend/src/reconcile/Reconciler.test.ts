import { emptySnapshot } from '../cluster/WatchCache';
import { cacheHasSeen } from './Reconciler';

const snapshot = (
  deployments: Array<{ name: string; generation: number }>,
) => ({
  ...emptySnapshot(),
  deployments: deployments.map(d => ({
    kind: 'Deployment',
    metadata: { name: d.name, generation: d.generation },
  })),
});

const applied = (kind: string, name: string, generation: number) => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name, generation },
});

describe('cacheHasSeen', () => {
  it('waits until the cache holds each applied workload at its new generation', () => {
    const apply = [applied('Deployment', 'game', 3)];
    expect(
      cacheHasSeen(snapshot([{ name: 'game', generation: 2 }]), apply),
    ).toBe(false);
    expect(cacheHasSeen(snapshot([]), apply)).toBe(false);
    expect(
      cacheHasSeen(snapshot([{ name: 'game', generation: 3 }]), apply),
    ).toBe(true);
    expect(
      cacheHasSeen(snapshot([{ name: 'game', generation: 4 }]), apply),
    ).toBe(true);
  });

  it('does not wait for kinds the cache does not hold', () => {
    expect(
      cacheHasSeen(snapshot([]), [
        applied('Service', 'game', 1),
        applied('ConfigMap', 'game', 1),
      ]),
    ).toBe(true);
  });
});
