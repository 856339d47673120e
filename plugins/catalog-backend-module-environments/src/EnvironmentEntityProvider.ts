import type {
  AuthService,
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import type {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  ENVIRONMENT_ANNOTATION,
  ENVIRONMENT_LABEL,
  Environment,
  EnvironmentsClient,
  environmentUrl,
  normalizeEntityRef,
} from '@archipelago/plugin-environments-common';

const LOCATION = 'archipelago-environments:';

/**
 * An environment as a catalog entity: a Resource of type environment, owned by the
 * environment's owner, linked to its page, depending on the components it runs and on its base.
 */
export function environmentEntity(
  env: Environment,
  appBaseUrl: string,
): Entity {
  const page = environmentUrl(appBaseUrl, env.name);
  const components = env.spec.services.map(s =>
    normalizeEntityRef(s.component ?? s.name, 'component'),
  );
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: env.name,
      namespace: 'default',
      title: env.title ?? env.name,
      description: `${env.purpose} environment on cluster ${env.cluster}, namespace ${env.namespace}`,
      tags: [env.purpose],
      labels: { 'archipelago.dev/purpose': env.purpose },
      annotations: {
        [ANNOTATION_LOCATION]: `${LOCATION}${env.name}`,
        [ANNOTATION_ORIGIN_LOCATION]: `${LOCATION}${env.name}`,
        [ENVIRONMENT_ANNOTATION]: env.name,
        'archipelago.dev/cluster': env.cluster,
        'archipelago.dev/namespace': env.namespace,
        // Backstage's own Kubernetes plugin finds the environment's objects by these.
        'backstage.io/kubernetes-namespace': env.namespace,
        'backstage.io/kubernetes-label-selector': `${ENVIRONMENT_LABEL}=${env.name}`,
        ...(env.expiresAt
          ? { 'archipelago.dev/expires-at': env.expiresAt }
          : {}),
      },
      links: [{ url: page, title: 'Environment', icon: 'dashboard' }],
    },
    spec: {
      type: 'environment',
      owner: env.owner,
      lifecycle: env.purpose === 'integration' ? 'production' : 'experimental',
      dependsOn: [
        ...new Set([
          ...components,
          ...(env.base ? [`resource:default/${env.base}`] : []),
        ]),
      ],
    },
  };
}

/**
 * Emits every environment that is not destroyed as a catalog entity, replacing the whole set on
 * each run: a destroyed environment's entity vanishes on the next run.
 */
export class EnvironmentEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;

  constructor(
    private readonly deps: {
      client: Pick<EnvironmentsClient, 'listEnvironments'>;
      auth: AuthService;
      logger: LoggerService;
      appBaseUrl: string;
      schedule?: SchedulerServiceTaskRunner;
    },
  ) {}

  getProviderName(): string {
    return 'archipelago-environments';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.deps.schedule?.run({
      id: `${this.getProviderName()}:refresh`,
      fn: async () => {
        await this.refresh();
      },
    });
  }

  /** Reads every environment and replaces the set of entities the catalog has from here. */
  async refresh(): Promise<number> {
    if (!this.connection) throw new Error('Not connected to the catalog');
    const { token } = await this.deps.auth.getPluginRequestToken({
      onBehalfOf: await this.deps.auth.getOwnServiceCredentials(),
      targetPluginId: 'environments',
    });
    const { items } = await this.deps.client.listEnvironments({}, { token });
    const entities = items
      // The list leaves out destroyed environments; one being destroyed goes now.
      .filter(e => e.status?.phase !== 'Destroying')
      .map(e => environmentEntity(e, this.deps.appBaseUrl));
    await this.connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({
        entity,
        locationKey: `${LOCATION}${entity.metadata.name}`,
      })),
    });
    this.deps.logger.debug(
      `Gave the catalog ${entities.length} environment(s)`,
    );
    return entities.length;
  }
}
