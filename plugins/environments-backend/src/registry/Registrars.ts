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

/**
 * Delivers queued registration events to registrars, retrying failures with backoff. Runs
 * beside the environment, never in its way: a failing registrar only shows in the registry view.
 */
export class RegistrarDispatcher {
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly store: EnvironmentStore,
    private readonly registrars: EnvironmentRegistrar[],
    private readonly logger: LoggerService,
    private readonly intervalMs = 1000,
  ) {}

  get names() {
    return this.registrars.map(r => r.name);
  }

  start() {
    if (!this.registrars.length) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  stop() {
    clearInterval(this.timer);
  }

  async tick() {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const item of await this.store.registry.dueRegistrations()) {
        const registrar = this.registrars.find(r => r.name === item.registrar);
        if (!registrar) continue;
        try {
          await registrar.handle(item.event as RegistrationEvent);
          await this.store.registry.registrationDelivered(item.id);
        } catch (e) {
          const delay = Math.min(
            300_000,
            1000 * 2 ** Math.min(item.attempts, 8),
          );
          this.logger.warn(
            `registrar ${registrar.name} failed (${String(
              e,
            )}); retrying in ${delay}ms`,
          );
          await this.store.registry.registrationFailed(
            item.id,
            String((e as Error)?.message ?? e),
            delay,
          );
        }
      }
    } catch (e) {
      this.logger.warn(`registrar dispatch failed: ${String(e)}`);
    } finally {
      this.busy = false;
    }
  }
}
