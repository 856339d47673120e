import { capacityOf } from './capacity';

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
    });
  });
});
