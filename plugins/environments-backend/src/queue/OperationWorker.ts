import type { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import type { OperationStep } from '@archipelago/plugin-environments-common';
import {
  CancelledError,
  PermanentError,
  errorMessage,
  isTransient,
  isUnreachable,
} from '../errors';
import type { OperationRecord } from '../store/EnvironmentStore';
import type { OperationQueue } from './OperationQueue';
import type { Reconciler } from '../reconcile/Reconciler';

export interface WorkerOptions {
  concurrencyPerCluster: number;
  clusters: string[];
  pollIntervalMs: number;
  /**
   * The lease of a running operation, renewed every third of it. From
   * `environments.queue.leaseSeconds` (at least 10 s); tests may pass a shorter one here.
   */
  leaseMs: number;
  maxAttempts: number;
  /**
   * How long an operation waits for a cluster that cannot be reached, from its start (the
   * readiness budget): such waits spend no attempt.
   */
  unreachableBudgetMs?: number;
}

/**
 * Executes queued operations. Several workers (one per backend replica) share the queue; the
 * store's conditional claim makes each operation run once, leases let a live worker take over
 * from a dead one, and everything the reconciler does is idempotent, so a resumed operation
 * produces no duplicates.
 */
/** Why a running operation stops when its backend shuts down. */
class ShuttingDown extends Error {
  constructor() {
    super('the backend is shutting down');
  }
}

export class OperationWorker {
  readonly id = `worker-${randomUUID().slice(0, 8)}`;
  private running = new Map<string, Promise<void>>();
  /** Running operations that only wait for pods: they take no slot. */
  private waiting = new Set<string>();
  private aborts = new Map<string, AbortController>();
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private wake?: () => void;

  constructor(
    private readonly queue: OperationQueue,
    private readonly reconciler: Reconciler,
    private readonly logger: LoggerService,
    private readonly options: WorkerOptions,
    private readonly onChange: (op: OperationRecord) => void = () => {},
  ) {}

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    void this.loop();
  }

  /** Looks for work now instead of at the next poll, and for cancellations of its own. */
  poke() {
    this.wake?.();
    void this.checkCancels();
  }

  private async checkCancels() {
    const ids = await this.queue
      .cancelRequested([...this.aborts.keys()])
      .catch(() => []);
    for (const id of ids)
      this.aborts
        .get(id)
        ?.abort(new CancelledError('cancelled: superseded by destroy'));
  }

  /**
   * Stops claiming, and hands back what runs: each running operation is aborted and returned to
   * the queue at once (spending no attempt), so another replica, or this backend's next start,
   * resumes it without waiting for the lease to lapse. A shutdown never waits out a long wait
   * for pods.
   */
  async stop() {
    this.stopped = true;
    this.wake?.();
    clearTimeout(this.timer);
    for (const abort of this.aborts.values()) abort.abort(new ShuttingDown());
    await Promise.allSettled(this.running.values());
  }

  private async loop() {
    const capacity =
      this.options.concurrencyPerCluster *
      Math.max(1, this.options.clusters.length);
    while (!this.stopped) {
      try {
        while (
          !this.stopped &&
          this.running.size - this.waiting.size < capacity
        ) {
          const op = await this.queue.claimNext(this.id, {
            leaseMs: this.options.leaseMs,
            maxPerCluster: this.options.concurrencyPerCluster,
            clusters: this.options.clusters,
          });
          if (!op) break;
          const p = this.run(op).finally(() => {
            this.running.delete(op.id);
            this.waiting.delete(op.id);
            this.aborts.delete(op.id);
            this.poke();
          });
          this.running.set(op.id, p);
        }
      } catch (e) {
        this.logger.warn(`operation queue poll failed: ${String(e)}`);
      }
      await new Promise<void>(resolve => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.options.pollIntervalMs);
      });
    }
  }

  private async run(op: OperationRecord): Promise<void> {
    const abort = new AbortController();
    this.aborts.set(op.id, abort);
    const steps: OperationStep[] = op.steps.map(s =>
      s.status === 'running' ? { ...s, status: 'pending' } : s,
    );
    const renew = setInterval(async () => {
      const state = await this.queue
        .renewLease(op.id, this.id, this.options.leaseMs, {
          maxPerCluster: this.options.concurrencyPerCluster,
        })
        .catch(() => 'lost' as const);
      if (state === 'lost') abort.abort(new Error('lease lost'));
      if (state === 'cancelled')
        abort.abort(new CancelledError('cancelled: superseded by destroy'));
    }, Math.max(200, this.options.leaseMs / 3));
    // Each saved step is news for whoever follows the operation (the portal, the task log).
    const save = async () => {
      const saved = await this.queue
        .saveSteps(op.id, this.id, steps)
        .then(() => true)
        .catch(() => false);
      if (saved) this.onChange({ ...op, status: 'running', steps: [...steps] });
    };
    this.onChange({ ...op, status: 'running' });
    const runner = {
      signal: abort.signal,
      releaseSlot: async () => {
        await this.queue.setWaiting(op.id, this.id);
        this.waiting.add(op.id);
        this.poke();
      },
      step: async <T>(
        name: string,
        fn: () => Promise<T>,
        message?: (r: T) => string | undefined,
      ) => {
        let step = steps.find(s => s.name === name);
        if (!step) steps.push((step = { name, status: 'pending' }));
        step.status = 'running';
        step.startedAt = new Date().toISOString();
        step.message = undefined;
        await save();
        try {
          const result = await fn();
          step.status = 'succeeded';
          step.message = message?.(result);
          return result;
        } catch (e) {
          step.status = 'failed';
          step.message = errorMessage(e);
          throw e;
        } finally {
          step.finishedAt = new Date().toISOString();
          await save();
        }
      },
    };
    try {
      await this.reconciler.execute(op, runner);
      await this.queue.finishOperation(op.id, this.id, {
        status: 'succeeded',
        steps,
      });
      this.logger.info(
        `operation ${op.type} ${op.id} on ${op.environment} succeeded`,
      );
    } catch (e) {
      if (abort.signal.reason instanceof CancelledError) {
        await this.queue.finishOperation(op.id, this.id, {
          status: 'failed',
          steps,
          error: abort.signal.reason.message,
        });
        this.logger.info(
          `operation ${op.type} ${op.id} on ${op.environment} ${abort.signal.reason.message}`,
        );
      } else if (abort.signal.reason instanceof ShuttingDown) {
        await this.queue
          .retryLater(
            op.id,
            this.id,
            0,
            steps,
            'handed back by a backend that shut down',
            { spendAttempt: false },
          )
          .catch(() => undefined);
        this.logger.info(
          `operation ${op.id} on ${op.environment} handed back to the queue at shutdown`,
        );
      } else if (abort.signal.aborted) {
        this.logger.warn(
          `operation ${op.id} on ${op.environment} lost its lease; another worker takes over`,
        );
      } else if (
        isUnreachable(e) &&
        Date.now() - new Date(op.startedAt ?? Date.now()).getTime() <
          (this.options.unreachableBudgetMs ?? 15 * 60_000)
      ) {
        // The cluster is away: wait for it, within the budget, spending no attempt.
        this.logger.warn(
          `operation ${op.id} cannot reach cluster ${
            op.cluster
          } (${errorMessage(e)}); trying again in 5s`,
        );
        await this.queue.retryLater(
          op.id,
          this.id,
          5000,
          steps,
          `waiting for cluster ${op.cluster}: ${errorMessage(e)}`,
          { spendAttempt: false },
        );
      } else if (
        !(e instanceof PermanentError) &&
        isTransient(e) &&
        op.attempts < this.options.maxAttempts
      ) {
        const delay = Math.min(60_000, 1000 * 2 ** op.attempts);
        this.logger.warn(
          `operation ${op.id} hit a transient error (${errorMessage(
            e,
          )}); retrying in ${delay}ms`,
        );
        await this.queue.retryLater(
          op.id,
          this.id,
          delay,
          steps,
          errorMessage(e),
        );
      } else {
        await this.queue.finishOperation(op.id, this.id, {
          status: 'failed',
          steps,
          error: errorMessage(e),
        });
        this.logger.warn(
          `operation ${op.type} ${op.id} on ${
            op.environment
          } failed: ${errorMessage(e)}`,
        );
      }
    } finally {
      clearInterval(renew);
      const latest = await this.queue
        .getOperation(op.id)
        .catch(() => undefined);
      if (latest) this.onChange(latest);
    }
  }
}
