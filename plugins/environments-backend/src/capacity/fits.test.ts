import fc from 'fast-check';
import { Amounts, fits } from './fits';

const Gi = 1024 ** 3;
const amounts = (cpuMillis: number, memGi: number, pods: number): Amounts => ({
  cpuMillis,
  memoryBytes: memGi * Gi,
  pods,
});
const base = {
  cluster: 'local',
  purpose: 'sandbox',
  current: amounts(0, 0, 0),
  free: amounts(4000, 8, 100),
  quota: { cpuMillis: 4000, memoryBytes: 8 * Gi, pods: 20 },
};

describe('fits', () => {
  it('admits what the cluster has free and the quota allows, with the numbers', () => {
    const r = fits({ ...base, wanted: amounts(1500, 2, 3) });
    expect(r).toEqual({
      fits: true,
      message: 'fits: 1.5 CPU and 2.0Gi more of 4 CPU and 8.0Gi free',
    });
  });

  it('refuses what the cluster cannot hold, saying how much is short', () => {
    const r = fits({
      ...base,
      free: amounts(500, 1, 2),
      wanted: amounts(1000, 2, 3),
    });
    expect(r.fits).toBe(false);
    expect(r.message).toBe(
      'Not enough capacity on cluster "local": 1 CPU requested, 500m free; 2.0Gi memory requested, 1.0Gi free; 3 pods requested, 2 free. Nothing was applied.',
    );
  });

  it("refuses Services the cluster's Service IP range has no room for, with the numbers", () => {
    const ips = { total: 254, ranges: ['10.0.0.0/24'] };
    const r = fits({
      ...base,
      wanted: amounts(100, 1, 1),
      serviceIPs: { ...ips, wanted: 3, free: 2 },
    });
    expect(r).toEqual({
      fits: false,
      message:
        'Not enough capacity on cluster "local": 3 Service IPs needed, 2 of 254 free in the Service IP range (10.0.0.0/24). Nothing was applied.',
    });
    // A change that adds no Service fits a full range.
    expect(
      fits({
        ...base,
        wanted: amounts(100, 1, 1),
        serviceIPs: { ...ips, wanted: 0, free: 0 },
      }).fits,
    ).toBe(true);
  });

  it('counts the pods of versions being replaced against the quota, until the new ones are ready', () => {
    // 12 replicas moving to a new version: 24 pods for a while, over a quota of 20.
    const r = fits({
      ...base,
      wanted: amounts(1200, 1, 12),
      alongside: amounts(1200, 1, 12),
    });
    expect(r).toEqual({
      fits: false,
      message:
        'Over the quota of sandbox environments: 24 pods wanted (12 of them for the versions being replaced, until the new ones are ready), 20 allowed. Ask for fewer replicas, or another purpose. Nothing was applied.',
    });
    expect(
      fits({
        ...base,
        wanted: amounts(100, 1, 8),
        alongside: amounts(100, 1, 8),
      }).fits,
    ).toBe(true);
  });

  it("refuses what the purpose's quota would never admit, whatever is free", () => {
    const r = fits({ ...base, wanted: amounts(100, 1, 21) });
    expect(r).toEqual({
      fits: false,
      message:
        'Over the quota of sandbox environments: 21 pods wanted, 20 allowed. Ask for fewer replicas, or another purpose. Nothing was applied.',
    });
  });

  it("does not count the environment's current pods twice", () => {
    // 3 pods now, 4 wanted: one more is needed, and one is free.
    const r = fits({
      ...base,
      current: amounts(300, 0, 3),
      free: amounts(100, 1, 1),
      wanted: amounts(400, 0, 4),
    });
    expect(r.fits).toBe(true);
  });

  it('is monotonic: asking for less never turns a fit into a refusal (property)', () => {
    const a = fc.record({
      cpuMillis: fc.integer({ min: 0, max: 8000 }),
      memoryBytes: fc.integer({ min: 0, max: 16 * Gi }),
      pods: fc.integer({ min: 0, max: 40 }),
    });
    fc.assert(
      fc.property(a, a, (wanted, less) => {
        const smaller = {
          cpuMillis: Math.min(wanted.cpuMillis, less.cpuMillis),
          memoryBytes: Math.min(wanted.memoryBytes, less.memoryBytes),
          pods: Math.min(wanted.pods, less.pods),
        };
        // fits(wanted) implies fits(smaller)
        expect(
          !fits({ ...base, wanted }).fits ||
            fits({ ...base, wanted: smaller }).fits,
        ).toBe(true);
      }),
    );
  });
});
