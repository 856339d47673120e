import { useEntity } from '@backstage/plugin-catalog-react';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { WarningPanel } from '@backstage/core-components';
import { ENVIRONMENT_ANNOTATION } from '@archipelago/plugin-environments-common';
import type { Entity } from '@backstage/catalog-model';
import { environmentsTranslationRef } from '../../translation';
import { EnvironmentView } from '../EnvironmentView/EnvironmentView';

/** The environment an entity stands for: its archipelago.dev/environment annotation. */
export function environmentNameOf(entity: Entity): string | undefined {
  return entity.metadata.annotations?.[ENVIRONMENT_ANNOTATION];
}

/** Whether an entity is an Archipelago environment (a Resource the catalog module made). */
export function isEnvironmentResource(entity: Entity): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
    !!environmentNameOf(entity)
  );
}

/** The environment page, on the environment's Resource entity in the catalog. */
export function EntityEnvironmentContent() {
  const { entity } = useEntity();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const name = environmentNameOf(entity);
  if (!name)
    return <WarningPanel severity="info" title={t('entity.notEnvironment')} />;
  return <EnvironmentView name={name} variant="embedded" />;
}
