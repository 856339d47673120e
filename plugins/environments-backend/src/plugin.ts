import {
  BackendPluginRegistrationPoints,
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { environmentsPermissions } from '@archipelago/plugin-environments-common';
import {
  EnvironmentRegistrar,
  environmentPermissionResourceRef,
  environmentPermissionRules,
  environmentsRegistrarExtensionPoint,
} from '@archipelago/plugin-environments-node';
import { registerEnvironmentActions } from './actions';
import { ServiceDefinitions } from './catalog/ServiceDefinitions';
import { ClusterClient } from './cluster/ClusterClient';
import { WatchCache } from './cluster/WatchCache';
import { readEnvironmentsConfig } from './config';
import { EnvironmentObserver } from './observe/Observer';
import { RegistrarDispatcher, WebhookRegistrar } from './registry/Registrars';
import { SqlRegistrar } from './registry/SqlRegistrar';
import { OperationWorker } from './queue/OperationWorker';
import { DriftWatcher } from './reconcile/DriftWatcher';
import { Cluster, Reconciler } from './reconcile/Reconciler';
import { EnvironmentsService } from './service/EnvironmentsService';
import { createAccess } from './service/access';
import { createRouter } from './service/router';
import { EnvironmentStore } from './store/EnvironmentStore';
import { TERMINAL_ROUTE, TerminalServer } from './terminal/TerminalServer';
import { scheduleExpiry } from './ttl/expiryTask';
import { AlertChecker, scheduleAlerts } from './alerts/AlertChecker';
import { scheduleRetention } from './ttl/retentionTask';
import { scheduleSleep } from './sleep/sleepTask';

/**
 * What app config cannot set, for tests only: `environments.queue.leaseSeconds` is at least
 * 10 s, and tests of a lapsed lease want a lease of a few seconds.
 *
 * @internal
 */
export interface EnvironmentsPluginTestOptions {
  /** The operation lease in milliseconds, instead of `environments.queue.leaseSeconds`. */
  queueLeaseMs?: number;
}

/**
 * The environments plugin with test-only options; the package exports it without any.
 *
 * @internal
 */
export function createEnvironmentsPlugin(
  testOptions: EnvironmentsPluginTestOptions = {},
) {
  return createBackendPlugin({
    pluginId: 'environments',
    register: env => registerEnvironments(env, testOptions),
  });
}

function registerEnvironments(
  env: BackendPluginRegistrationPoints,
  testOptions: EnvironmentsPluginTestOptions,
) {
  const registrars: EnvironmentRegistrar[] = [];
  env.registerExtensionPoint(environmentsRegistrarExtensionPoint, {
    addRegistrar(...added) {
      registrars.push(...added);
    },
  });
  env.registerInit({
    deps: {
      config: coreServices.rootConfig,
      logger: coreServices.logger,
      database: coreServices.database,
      httpRouter: coreServices.httpRouter,
      httpAuth: coreServices.httpAuth,
      userInfo: coreServices.userInfo,
      permissions: coreServices.permissions,
      permissionsRegistry: coreServices.permissionsRegistry,
      auditor: coreServices.auditor,
      scheduler: coreServices.scheduler,
      auth: coreServices.auth,
      lifecycle: coreServices.lifecycle,
      discovery: coreServices.discovery,
      actionsRegistry: actionsRegistryServiceRef,
      catalog: catalogServiceRef,
      signals: signalsServiceRef,
      notifications: notificationService,
    },
    async init(deps) {
      const { config, logger, database, httpRouter, lifecycle, scheduler } =
        deps;
      const settings = readEnvironmentsConfig(config);
      if (!settings.clusters.length) {
        logger.warn(
          'No clusters configured (environments.clusters or kubernetes.clusterLocatorMethods); environments cannot be created',
        );
      }
      const store = await EnvironmentStore.create(await database.getClient(), {
        skipMigrations: database.migrations?.skip,
      });

      const clusters = new Map<string, Cluster>();
      for (const c of settings.clusters) {
        const client = new ClusterClient(c);
        clusters.set(c.name, {
          client,
          cache: new WatchCache(c.name, client.kc, logger, {
            namespacePrefix: settings.namespacePrefix,
            limiter: client.limiter,
          }),
          // The capacity check reads nodes and pods from this watch, never from a list.
          capacity: new WatchCache(c.name, client.kc, logger, {
            namespacePrefix: settings.namespacePrefix,
            mode: 'capacity',
            limiter: client.limiter,
          }),
        });
      }
      const definitions = new ServiceDefinitions(
        deps.catalog,
        deps.auth,
        logger,
      );
      const reconciler = new Reconciler(store, clusters, definitions, settings);
      // The service, worker and observer notify each other; the holder breaks the cycle.
      const wired: {
        worker?: OperationWorker;
        observer?: EnvironmentObserver;
      } = {};
      const service = new EnvironmentsService(
        store,
        reconciler,
        definitions,
        settings,
        op => {
          wired.worker?.poke();
          wired.observer?.operationChanged(op);
        },
      );
      if (settings.sqlRegistrar) {
        const sql = new SqlRegistrar(settings.sqlRegistrar);
        registrars.push(sql);
        lifecycle.addShutdownHook(() => sql.close());
      }
      if (settings.webhook)
        registrars.push(
          new WebhookRegistrar(settings.webhook.url, settings.webhook.token),
        );
      const dispatcher = new RegistrarDispatcher(store, registrars, logger, {
        maxAttempts: settings.registrars.maxAttempts,
      });
      const worker = new OperationWorker(
        store.queue,
        reconciler,
        logger,
        {
          concurrencyPerCluster: settings.queue.concurrencyPerCluster,
          clusters: [...clusters.keys()],
          pollIntervalMs: settings.queue.pollIntervalMs,
          leaseMs: testOptions.queueLeaseMs ?? settings.queue.leaseMs,
          maxAttempts: settings.queue.maxAttempts,
          unreachableBudgetMs: settings.readinessTimeoutMs,
        },
        op => wired.observer?.operationChanged(op),
      );
      const observer = new EnvironmentObserver(
        store,
        service,
        clusters,
        dispatcher,
        logger,
        settings.namespacePrefix,
        deps.signals,
      );

      const drift = new DriftWatcher(
        store,
        reconciler,
        clusters,
        logger,
        {
          resyncMs: settings.reconcile.resyncMs,
          namespacePrefix: settings.namespacePrefix,
        },
        op => {
          worker.poke();
          observer.operationChanged(op);
        },
      );

      wired.worker = worker;
      wired.observer = observer;

      deps.permissionsRegistry.addResourceType({
        resourceRef: environmentPermissionResourceRef,
        permissions: environmentsPermissions,
        rules: Object.values(environmentPermissionRules),
        getResources: async refs =>
          Promise.all(
            refs.map(async ref => {
              const e = await store.getEnvironment(ref);
              return e
                ? { name: e.name, owner: e.owner, purpose: e.purpose }
                : undefined;
            }),
          ),
      });

      const access = createAccess({
        permissions: deps.permissions,
        auditor: deps.auditor,
        userInfo: deps.userInfo,
      });
      // The web terminal's WebSocket, before the REST API (it is not in openapi.yaml). It
      // authenticates the socket itself: browsers cannot send a token in a header.
      const terminal = new TerminalServer({
        service,
        access,
        auth: deps.auth,
        auditor: deps.auditor,
        logger,
        settings: settings.terminal,
        basePath: async () =>
          new URL(await deps.discovery.getBaseUrl('environments')).pathname,
        used: record =>
          void service
            .markUsed(record)
            .catch(e =>
              logger.warn(`could not mark ${record.name} used: ${String(e)}`),
            ),
      });
      httpRouter.use(terminal.middleware());
      httpRouter.addAuthPolicy({
        path: TERMINAL_ROUTE,
        allow: 'unauthenticated',
      });
      lifecycle.addShutdownHook(() => terminal.closeAll());
      httpRouter.use(
        await createRouter({
          service,
          access,
          httpAuth: deps.httpAuth,
          auditor: deps.auditor,
        }),
      );
      // The same lifecycle for agents: Backstage's MCP actions server offers these as tools.
      registerEnvironmentActions(deps.actionsRegistry, {
        service,
        access,
        auditor: deps.auditor,
        appBaseUrl: config.getOptionalString('app.baseUrl') ?? '',
      });
      httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

      await scheduleRetention({
        scheduler,
        store,
        logger,
        retentionSeconds: settings.retentionSeconds,
      });
      await scheduleExpiry({
        scheduler,
        store,
        service,
        logger,
        everySeconds: settings.expiryCheckSeconds,
      });
      // Alert rules, channels and subscriptions (alerts/): one check across replicas.
      const alertChecker = new AlertChecker({
        store,
        config: settings,
        logger,
        notifications: deps.notifications,
        appBaseUrl: config.getOptionalString('app.baseUrl') ?? '',
        observe: async (e, recent, wants) => {
          const { status, ops } = await service.status(e, recent);
          return {
            status,
            pods: e.destroyedAt ? [] : service.pods(e),
            // Island views cost a few queries: only for environments that may have islands.
            islands:
              wants.islands &&
              (!e.services || e.services.some(s => s.kind === 'island'))
                ? await service.islands(e)
                : [],
            operations: ops,
          };
        },
      });
      await scheduleAlerts({
        scheduler,
        checker: alertChecker,
        everySeconds: settings.alerts.checkIntervalSeconds,
      });

      await scheduleSleep({
        scheduler,
        store,
        service,
        logger,
        everySeconds: settings.expiryCheckSeconds,
        config: settings,
        notifications: deps.notifications,
      });

      lifecycle.addStartupHook(async () => {
        await Promise.all(
          [...clusters.values()].map(async c => {
            await c.cache.start();
            await c.capacity?.start();
            await c.cache.waitForSync().catch(e => logger.warn(String(e)));
          }),
        );
        worker.start();
        observer.start();
        dispatcher.start();
        drift.start();
      });
      lifecycle.addShutdownHook(async () => {
        drift.stop();
        observer.stop();
        dispatcher.stop();
        await worker.stop();
        await Promise.all(
          [...clusters.values()].flatMap(c => [
            c.cache.stop(),
            c.capacity?.stop(),
          ]),
        );
      });
    },
  });
}

/**
 * The environments backend plugin: REST API, durable operation queue and worker, watch caches,
 * registry, registrars, TTL expiry, permissions and audit.
 */
export const environmentsPlugin = createEnvironmentsPlugin();
