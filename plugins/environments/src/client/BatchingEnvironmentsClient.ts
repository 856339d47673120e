import {
  Environment,
  EnvironmentPart,
  EnvironmentsClient,
  PodView,
  RequestOptions,
  Topology,
} from '@archipelago/plugin-environments-common';

type Part = 'environment' | EnvironmentPart;

/** The callers waiting for each part of one environment's read. */
type Batch = Map<
  Part,
  { resolve: (v: any) => void; reject: (e: unknown) => void }[]
>;

/**
 * The portal's client. An environment's page reads the environment (header, status) and, on a
 * tab, its topology or its pods, all again at once on every change the backend signals. Reads of
 * one environment made in the same tick are sent as one request
 * (`GET /environments/{name}?include=…`) and each caller gets its part: one request per page
 * load instead of one per part, and one answer computed from one snapshot of the cluster.
 * A read alone goes to its own endpoint, as before.
 */
export class BatchingEnvironmentsClient extends EnvironmentsClient {
  private readonly batches = new Map<string, Batch>();

  getEnvironment(name: string, options?: RequestOptions): Promise<Environment> {
    return options?.token
      ? super.getEnvironment(name, options)
      : this.read(name, 'environment');
  }

  getTopology(name: string, options?: RequestOptions): Promise<Topology> {
    return options?.token
      ? super.getTopology(name, options)
      : this.read(name, 'topology');
  }

  getPods(
    name: string,
    options?: RequestOptions,
  ): Promise<{ items: PodView[] }> {
    return options?.token
      ? super.getPods(name, options)
      : this.read(name, 'pods');
  }

  private read<T>(name: string, part: Part): Promise<T> {
    let batch = this.batches.get(name);
    if (!batch) {
      const fresh: Batch = new Map();
      this.batches.set(name, (batch = fresh));
      queueMicrotask(() => {
        this.batches.delete(name);
        this.send(name, fresh);
      });
    }
    const waiting = batch.get(part) ?? [];
    batch.set(part, waiting);
    return new Promise<T>((resolve, reject) =>
      waiting.push({ resolve, reject }),
    );
  }

  private send(name: string, batch: Batch) {
    const parts = [...batch.keys()];
    const settle = (part: Part, value: unknown) =>
      batch.get(part)!.forEach(w => w.resolve(value));
    const fail = (error: unknown) =>
      batch.forEach(ws => ws.forEach(w => w.reject(error)));
    if (parts.length === 1) {
      const [only] = parts;
      const reads: Record<Part, () => Promise<unknown>> = {
        environment: () => super.getEnvironment(name),
        topology: () => super.getTopology(name),
        pods: () => super.getPods(name),
      };
      const one = reads[only]();
      one.then(v => settle(only, v), fail);
      return;
    }
    const include = parts.filter(
      (p): p is EnvironmentPart => p !== 'environment',
    );
    this.getEnvironmentWith(name, include).then(({ included, ...env }) => {
      if (batch.has('environment')) settle('environment', env);
      if (batch.has('topology')) settle('topology', included.topology);
      if (batch.has('pods')) settle('pods', included.pods);
    }, fail);
  }
}
