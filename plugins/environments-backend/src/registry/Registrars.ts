import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  EnvironmentRegistrar,
  RegistrationEvent,
} from '@archipelago/plugin-environments-node';
import type { EnvironmentStore } from '../store/EnvironmentStore';

/** The built-in registrar: POSTs each registration event as JSON to a studio endpoint. */
export class WebhookRegistrar implements EnvironmentRegistrar {
  readonly name = 'webhook';
  constructor(private readonly url: string, private readonly token?: string) {}

  async handle(event: RegistrationEvent): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok)
      throw new Error(`${this.url} answered ${res.status} ${res.statusText}`);
  }
}

export interface DispatcherOptions {
  /** How often due events are looked for. Default 1 s. */
  intervalMs?: number;
  /** Failed deliveries after which an event is marked failed (`environments.registrars.maxAttempts`). */
  maxAttempts?: number;
  /** Events delivered per registrar and round. Default 50. */
  batchPerRegistrar?: number;
  /** How often the outbox is purged. Default 1 minute. */
  purgeEveryMs?: number;
  /** Events of a registrar no longer configured are dropped after this. Default 1 hour. */
  unconfiguredAfterMs?: number;
  /** Failed events are kept for the registry view this long. Default 7 days. */
  failedForMs?: number;
}

/** Retry delay after a registration event's n-th failed delivery: 2^n s, at most 5 min. */
export const registrarBackoffMs = (attempts: number) =>
  Math.min(300_000, 1000 * 2 ** Math.min(attempts, 8));

/**
 * Delivers queued registration events to registrars, retrying failures with backoff up to
 * maxAttempts. Runs beside the environment, never in its way: a failing registrar only shows in
 * the registry view. Each registrar is served on its own: a slow or failing one never holds
 * up another's deliveries, and events of a registrar that is no longer configured are never
 * picked (and are purged after a grace period).
 */
export class RegistrarDispatcher {
  private timer?: NodeJS.Timeout;
  /** Registrars with a delivery round under way. */
  private readonly busy = new Set<string>();
  private purging = false;
  private lastPurge = 0;
  private readonly options: Required<DispatcherOptions>;

  constructor(
    private readonly store: EnvironmentStore,
    private readonly registrars: EnvironmentRegistrar[],
    private readonly logger: LoggerService,
    options: DispatcherOptions = {},
  ) {
    this.options = {
      intervalMs: 1000,
      maxAttempts: 20,
      batchPerRegistrar: 50,
      purgeEveryMs: 60_000,
      unconfiguredAfterMs: 3600_000,
      failedForMs: 7 * 86400_000,
      ...options,
    };
  }

  get names() {
    return [...new Set(this.registrars.map(r => r.name))];
  }

  /** Runs even with no registrar: the outbox may still hold events of a removed one. */
  start() {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref?.();
  }

  stop() {
    clearInterval(this.timer);
  }

  async tick() {
    await Promise.all([
      this.purge(),
      ...this.registrars
        .filter((r, i, all) => all.findIndex(o => o.name === r.name) === i)
        .map(r => this.deliver(r)),
    ]);
  }

  private async deliver(registrar: EnvironmentRegistrar) {
    if (this.busy.has(registrar.name)) return;
    this.busy.add(registrar.name);
    try {
      const due = await this.store.registry.dueRegistrations(
        [registrar.name],
        this.options.batchPerRegistrar,
      );
      for (const item of due) {
        try {
          await registrar.handle(item.event as RegistrationEvent);
          await this.store.registry.registrationDelivered(item.id);
        } catch (e) {
          const error = String((e as Error)?.message ?? e);
          const delay = registrarBackoffMs(item.attempts);
          const failed = await this.store.registry.registrationFailed(
            item.id,
            error,
            delay,
            this.options.maxAttempts,
          );
          this.logger.warn(
            failed
              ? `registrar ${registrar.name} failed ${this.options.maxAttempts} times to take event ${item.id} (${error}); giving up on it`
              : `registrar ${registrar.name} failed (${error}); retrying in ${delay}ms`,
          );
          // The rest of the batch waits for the next round, rather than for this registrar's
          // timeouts one after the other.
          break;
        }
      }
    } catch (e) {
      this.logger.warn(
        `registrar dispatch to ${registrar.name} failed: ${String(e)}`,
      );
    } finally {
      this.busy.delete(registrar.name);
    }
  }

  private async purge() {
    if (this.purging || Date.now() - this.lastPurge < this.options.purgeEveryMs)
      return;
    this.purging = true;
    this.lastPurge = Date.now();
    try {
      const purged = await this.store.registry.purgeOutbox({
        configured: this.names,
        unconfiguredAfterMs: this.options.unconfiguredAfterMs,
        failedForMs: this.options.failedForMs,
      });
      if (purged.unconfigured)
        this.logger.info(
          `dropped ${purged.unconfigured} registration events of registrars no longer configured`,
        );
    } catch (e) {
      this.logger.warn(`registrar outbox purge failed: ${String(e)}`);
    } finally {
      this.purging = false;
    }
  }
}
