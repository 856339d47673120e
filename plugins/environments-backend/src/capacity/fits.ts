/*
 * Whether a change fits: pure arithmetic over what the environment's services request, what
 * the cluster has free and what the purpose's quota allows. The numbers go into the message,
 * so a refusal says how much is short.
 */
export interface Amounts {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

export interface FitInput {
  cluster: string;
  purpose: string;
  /** What the environment's services request in all, as rendered. */
  wanted: Amounts;
  /** What the environment's pods request now; they are replaced, so they do not count twice. */
  current: Amounts;
  /** What the cluster's schedulable nodes have free. */
  free: Amounts;
  /** The purpose's quota; a missing value is no limit. */
  quota: Partial<Amounts>;
  /**
   * Pods that keep running beside the wanted ones for a while: the versions a service is
   * leaving, until the new ones are ready. They count against the quota too.
   */
  alongside?: Amounts;
  /**
   * Service IPs: how many more the change's Services take, and how many of the cluster's
   * Service IP ranges are free. Left out where the cluster does not say its ranges.
   */
  serviceIPs?: {
    wanted: number;
    free: number;
    total: number;
    ranges: string[];
  };
}

export type FitResult =
  | { fits: true; message: string }
  | { fits: false; message: string };

export const fmtCpu = (m: number) =>
  m >= 1000 ? `${(m / 1000).toFixed(m % 1000 ? 1 : 0)}` : `${m}m`;
export const fmtMem = (b: number) =>
  b >= 1024 ** 3
    ? `${(b / 1024 ** 3).toFixed(1)}Gi`
    : `${Math.round(b / 1024 ** 2)}Mi`;

export function sum(list: Amounts[]): Amounts {
  return list.reduce(
    (a, b) => ({
      cpuMillis: a.cpuMillis + b.cpuMillis,
      memoryBytes: a.memoryBytes + b.memoryBytes,
      pods: a.pods + b.pods,
    }),
    { cpuMillis: 0, memoryBytes: 0, pods: 0 },
  );
}

export function fits(input: FitInput): FitResult {
  const { wanted, current, free, quota } = input;
  const need = {
    cpu: wanted.cpuMillis - current.cpuMillis,
    mem: wanted.memoryBytes - current.memoryBytes,
    pods: wanted.pods - current.pods,
  };
  const short: string[] = [];
  if (need.cpu > free.cpuMillis)
    short.push(
      `${fmtCpu(need.cpu)} CPU requested, ${fmtCpu(
        Math.max(0, free.cpuMillis),
      )} free`,
    );
  if (need.mem > free.memoryBytes)
    short.push(
      `${fmtMem(need.mem)} memory requested, ${fmtMem(
        Math.max(0, free.memoryBytes),
      )} free`,
    );
  if (need.pods > free.pods)
    short.push(`${need.pods} pods requested, ${Math.max(0, free.pods)} free`);
  const ips = input.serviceIPs;
  if (ips && ips.wanted > 0 && ips.wanted > ips.free)
    short.push(
      `${ips.wanted} Service IPs needed, ${Math.max(0, ips.free)} of ${
        ips.total
      } free in the Service IP range (${ips.ranges.join(', ')})`,
    );
  if (short.length) {
    return {
      fits: false,
      message: `Not enough capacity on cluster "${input.cluster}": ${short.join(
        '; ',
      )}. Nothing was applied.`,
    };
  }
  // The namespace's quota caps the whole environment, whatever the cluster has free: pods
  // past it would never be created, and the environment would wait out its budget.
  const over: string[] = [];
  const side = input.alongside ?? { pods: 0, cpuMillis: 0, memoryBytes: 0 };
  const total = sum([wanted, side]);
  const beside = (n: number, fmt: (v: number) => string) =>
    n
      ? ` (${fmt(
          n,
        )} of them for the versions being replaced, until the new ones are ready)`
      : '';
  if (quota.pods !== undefined && total.pods > quota.pods)
    over.push(
      `${total.pods} pods wanted${beside(side.pods, String)}, ${
        quota.pods
      } allowed`,
    );
  if (quota.cpuMillis !== undefined && total.cpuMillis > quota.cpuMillis)
    over.push(
      `${fmtCpu(total.cpuMillis)} CPU wanted${beside(
        side.cpuMillis,
        fmtCpu,
      )}, ${fmtCpu(quota.cpuMillis)} allowed`,
    );
  if (quota.memoryBytes !== undefined && total.memoryBytes > quota.memoryBytes)
    over.push(
      `${fmtMem(total.memoryBytes)} memory wanted${beside(
        side.memoryBytes,
        fmtMem,
      )}, ${fmtMem(quota.memoryBytes)} allowed`,
    );
  if (over.length) {
    return {
      fits: false,
      message: `Over the quota of ${input.purpose} environments: ${over.join(
        '; ',
      )}. Ask for fewer replicas, or another purpose. Nothing was applied.`,
    };
  }
  return {
    fits: true,
    message: `fits: ${fmtCpu(Math.max(0, need.cpu))} CPU and ${fmtMem(
      Math.max(0, need.mem),
    )} more of ${fmtCpu(free.cpuMillis)} CPU and ${fmtMem(
      free.memoryBytes,
    )} free`,
  };
}
