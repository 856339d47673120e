import { capacityOf, ipv4RangeSize, serviceIPsOf } from './capacity';

const node = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: {},
  status: {
    allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
  ...extra,
});
const pod = (cpu: string, memory: string, phase = 'Running') => ({
  metadata: { name: `p-${cpu}` },
  spec: { containers: [{ resources: { requests: { cpu, memory } } }] },
  status: { phase },
});

describe('capacityOf', () => {
  it('counts schedulable Ready nodes and the requests of unfinished pods', () => {
    const cap = capacityOf(
      [
        node('a'),
        node('cordoned', { spec: { unschedulable: true } }),
        node('down', {
          status: {
            allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
            conditions: [{ type: 'Ready', status: 'False' }],
          },
        }),
      ],
      [
        pod('500m', '1Gi'),
        pod('1', '512Mi', 'Pending'),
        pod('2', '1Gi', 'Succeeded'),
      ],
    );
    expect(cap).toEqual({
      allocatable: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pods: 110 },
      requested: {
        cpuMillis: 1500,
        memoryBytes: 2 ** 30 + 512 * 2 ** 20,
        pods: 2,
      },
      serviceIPs: undefined,
    });
  });
});

describe('Service IPs', () => {
  const svc = (name: string, clusterIP?: string, clusterIPs?: string[]) => ({
    metadata: { name },
    spec: { clusterIP, clusterIPs },
  });
  const cidr = (...cidrs: string[]) => ({
    metadata: { name: 'kubernetes' },
    spec: { cidrs },
  });

  it('sizes IPv4 ranges without their network and broadcast addresses', () => {
    expect(ipv4RangeSize('10.0.0.0/24')).toBe(254);
    expect(ipv4RangeSize('10.96.0.0/16')).toBe(65534);
    expect(ipv4RangeSize('fd00::/108')).toBe(0);
    expect(ipv4RangeSize('nonsense')).toBe(0);
  });

  it('counts the Services that hold an IPv4 cluster IP; headless ones hold none', () => {
    expect(
      serviceIPsOf(
        [
          svc('a', '10.0.0.1'),
          svc('b', 'None'),
          svc('c', '10.0.0.9', ['10.0.0.9', 'fd00::9']),
          svc('d', 'fd00::4', ['fd00::4']),
        ],
        [cidr('10.0.0.0/24', 'fd00::/108'), cidr('10.1.0.0/24')],
      ),
    ).toEqual({ total: 508, used: 2, ranges: ['10.0.0.0/24', '10.1.0.0/24'] });
  });

  it('says nothing where the cluster serves no ServiceCIDRs', () => {
    expect(serviceIPsOf([svc('a', '10.0.0.1')], [])).toBeUndefined();
    expect(
      capacityOf([], [], [svc('a', '10.0.0.1')], []).serviceIPs,
    ).toBeUndefined();
  });
});
