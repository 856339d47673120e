import type { LoggerService } from '@backstage/backend-plugin-api';
import type { SignalsService } from '@backstage/plugin-signals-node';
import {
  ENVIRONMENTS_SIGNAL_CHANNEL,
  EnvironmentSignal,
  environmentSignalChannel,
} from '@archipelago/plugin-environments-common';
import type {
  EnvironmentRecord,
  EnvironmentStore,
  OperationRecord,
} from '../store/EnvironmentStore';
import type { EnvironmentsService } from '../service/EnvironmentsService';
import type { Cluster } from '../reconcile/Reconciler';
import { observedRegistry, podViews } from '../status/derive';
import { emptySnapshot } from '../cluster/WatchCache';
import type { RegistrarDispatcher } from '../registry/Registrars';
import { EnvironmentTrigger } from './EnvironmentTrigger';

/**
 * Watches the cache and the queue for changes and turns them into: signals for browsers,
 * registry updates and registrar events. Alerts (an environment that breaks, and more) are
 * the alert rules' (alerts/AlertChecker.ts), not the observer's.
 */
export class EnvironmentObserver {
  private readonly last = new Map<string, string>();
  private readonly lastPods = new Map<string, string>();
  private readonly lastRegistry = new Map<string, string>();
  private readonly trigger: EnvironmentTrigger;

  constructor(
    private readonly store: EnvironmentStore,
    private readonly service: EnvironmentsService,
    private readonly clusters: Map<string, Cluster>,
    private readonly dispatcher: RegistrarDispatcher,
    private readonly logger: LoggerService,
    namespacePrefix: string,
    private readonly signals?: SignalsService,
  ) {
    this.trigger = new EnvironmentTrigger({
      store,
      clusters,
      logger,
      namespacePrefix,
      what: 'observing',
      sweepMs: 15_000,
      debounceMs: 200,
      check: env => this.checkEnv(env),
      // A sweep reads every environment's latest operations in one query.
      checkMany: async envs => {
        const recent = await store.queue.recentOperations(
          envs.map(e => e.id),
          20,
        );
        await Promise.all(envs.map(e => this.checkEnv(e, recent.get(e.id))));
      },
    });
  }

  start() {
    this.trigger.start();
  }

  stop() {
    this.trigger.stop();
  }

  operationChanged(op: OperationRecord) {
    this.trigger.schedule(op.environment, 50);
    void this.signals?.publish({
      recipients: { type: 'broadcast' },
      channel: environmentSignalChannel(op.environment),
      message: { change: 'operation' } satisfies EnvironmentSignal,
    });
  }

  private async checkEnv(env: EnvironmentRecord, recent?: OperationRecord[]) {
    try {
      const { status } = await this.service.status(env, recent);
      if (!env.destroyedAt) await this.syncRegistry(env);
      const signature = JSON.stringify([
        status.phase,
        status.reasons,
        status.services.map(s => [
          s.name,
          s.health,
          s.readyReplicas,
          s.desiredReplicas,
          s.version,
          // Versions side by side: a weight, a new version's readiness, one leaving.
          s.versions?.map(v => [
            v.name,
            v.health,
            v.readyReplicas,
            v.desiredReplicas,
            v.weight,
            v.header,
            v.retiring,
          ]),
        ]),
      ]);
      // What an environment's page shows beyond its status: each pod's state. The uid tells a
      // replaced pod from its predecessor of the same name (a StatefulSet's game-0).
      const snapshot =
        (!env.destroyedAt &&
          this.clusters.get(env.cluster)?.cache.snapshot(env.namespace)) ||
        emptySnapshot();
      const podSignature = JSON.stringify([
        snapshot.pods.map(p => p.metadata?.uid).sort(),
        podViews(snapshot).map(p => [
          p.name,
          p.phase,
          p.ready,
          p.restarts,
          p.reason,
          p.node,
        ]),
      ]);
      const previous = this.last.get(env.name);
      const previousPods = this.lastPods.get(env.name);
      const statusChanged = signature !== previous;
      if (!statusChanged && podSignature === previousPods) return;
      this.last.set(env.name, signature);
      this.lastPods.set(env.name, podSignature);
      // Signals say only that something changed (see EnvironmentSignal): browsers of users
      // who may not read the environment learn nothing from them.
      const message = {
        change: statusChanged ? 'status' : 'pods',
      } satisfies EnvironmentSignal;
      // A pod replaced in the same check as a status change is news of its own: followers of
      // the environment hear both.
      const podsChanged = podSignature !== previousPods;
      for (const change of [
        ...(statusChanged ? (['status'] as const) : []),
        ...(podsChanged ? (['pods'] as const) : []),
      ])
        await this.signals?.publish({
          recipients: { type: 'broadcast' },
          channel: environmentSignalChannel(env.name),
          message: { change } satisfies EnvironmentSignal,
        });
      // Lists show status only: they hear of status changes, not of every pod.
      if (!statusChanged) return;
      await this.signals?.publish({
        recipients: { type: 'broadcast' },
        channel: ENVIRONMENTS_SIGNAL_CHANNEL,
        message,
      });
    } catch (e) {
      this.logger.warn(`observing ${env.name} failed: ${String(e)}`);
    }
  }

  private async syncRegistry(env: EnvironmentRecord) {
    const cluster = this.clusters.get(env.cluster);
    if (!cluster) return;
    const observed = observedRegistry(
      env.name,
      cluster.cache.snapshot(env.namespace),
    );
    // What this backend last wrote for the environment: the same again writes nothing, so a
    // sweep of unchanged environments costs the database nothing here. (Another replica that
    // saw the same cluster wrote the same; one that saw a change had a watch event too.)
    const signature = JSON.stringify(observed);
    if (this.lastRegistry.get(env.name) === signature) return;
    const uids = new Map(
      observed.map(o => [o.instance, (o as any).uid as string | undefined]),
    );
    const events = await this.store.registry.syncRegistry(
      env.name,
      observed.map(({ uid: _u, ...o }: any) => o),
    );
    if (!events.length) {
      this.lastRegistry.set(env.name, signature);
      return;
    }
    await this.store.registry.enqueueRegistrations(
      this.dispatcher.names,
      events.map(e => {
        const action =
          e.action === 'register' && !e.entry.ready ? 'deregister' : e.action;
        const id =
          e.action === 'register'
            ? `${uids.get(e.entry.instance) ?? e.entry.address}:${
                e.entry.version
              }:${e.entry.ready}`
            : e.entry.registeredAt;
        return {
          key: `${action}:${e.entry.environment}/${e.entry.service}/${e.entry.instance}@${id}`,
          environment: env.name,
          event: { action, entry: e.entry },
        };
      }),
    );
    this.lastRegistry.set(env.name, signature);
  }
}
