import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { parse } from 'yaml';
import {
  FieldError,
  SERVICE_DEFINITION_ANNOTATION,
  ServiceDefinition,
  validateServiceDefinition,
} from '@archipelago/plugin-environments-common';

/**
 * Service definitions, declared by each service's owners on its catalog component in the
 * archipelago.dev/service-definition annotation (YAML). Read from the catalog with the
 * plugin's own credentials and kept for a short while.
 */
export class ServiceDefinitions {
  private cache?: {
    at: number;
    defs: Map<string, ServiceDefinition>;
    errors: Map<string, FieldError[]>;
  };

  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly logger: LoggerService,
    private readonly ttlMs = 15_000,
  ) {}

  /** All valid definitions by component ref, plus the invalid ones with their errors. */
  async load(force = false) {
    if (!force && this.cache && Date.now() - this.cache.at < this.ttlMs)
      return this.cache;
    const { items } = await this.catalog.getEntities(
      {
        filter: {
          kind: 'Component',
          [`metadata.annotations.${SERVICE_DEFINITION_ANNOTATION}`]:
            CATALOG_FILTER_EXISTS,
        },
      },
      { credentials: await this.auth.getOwnServiceCredentials() },
    );
    const defs = new Map<string, ServiceDefinition>();
    const errors = new Map<string, FieldError[]>();
    for (const entity of items) {
      const ref = stringifyEntityRef(entity).toLocaleLowerCase('en-US');
      const raw =
        entity.metadata.annotations?.[SERVICE_DEFINITION_ANNOTATION] ?? '';
      let value: unknown;
      try {
        value = parse(raw);
      } catch (e) {
        errors.set(ref, [
          {
            path: SERVICE_DEFINITION_ANNOTATION,
            message: `is not valid YAML: ${(e as Error).message}`,
          },
        ]);
        continue;
      }
      const result = validateServiceDefinition(
        value,
        SERVICE_DEFINITION_ANNOTATION,
      );
      if (result.success) defs.set(ref, result.value);
      else {
        errors.set(ref, result.errors);
        this.logger.warn(
          `Invalid service definition on ${ref}: ${result.errors
            .map(e => `${e.path}: ${e.message}`)
            .join('; ')}`,
        );
      }
    }
    this.cache = { at: Date.now(), defs, errors };
    return this.cache;
  }

  /** A synchronous lookup over a freshly loaded set, for resolveServices. */
  async lookup() {
    const { defs, errors } = await this.load();
    return { lookup: (ref: string) => defs.get(ref), errors };
  }
}
