import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  ServiceStatus,
  VERSION_HEADER,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { ActionButton } from '../actions/ActionButton';
import { useOperationRunner } from '../actions/useOperationRunner';
import { HealthStatus } from '../status';
import type { ReleaseDialogMode } from './ReleaseDialog';
import type { ReleaseStep } from './ConfirmStepDialog';

/**
 * A service's versions, when it runs more than one: each with its weight, its Version header
 * rule and ready counts; the released ones with Weight, Promote and Abort.
 */
export function VersionsCell(props: {
  service: ServiceStatus;
  onWeight: (mode: ReleaseDialogMode) => void;
  /** Promote or abort, which ask first (see ConfirmStepDialog). */
  onStep: (step: ReleaseStep) => void;
}) {
  const { service, onWeight, onStep } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { busy } = useOperationRunner();
  if (!service.versions?.length) return <code>{service.version}</code>;
  const primary = service.versions.find(v => v.primary)?.version ?? '';
  const step = (type: ReleaseStep['type'], version: string) =>
    onStep({ type, service: service.name, version, primary });
  return (
    <Box display="flex" flexDirection="column" style={{ gap: 6 }}>
      {service.versions.map(v => (
        <Box
          key={v.name}
          display="flex"
          alignItems="center"
          flexWrap="wrap"
          style={{ gap: 8, opacity: v.retiring ? 0.6 : 1 }}
          data-testid={`version-${service.name}-${v.version}`}
        >
          <code>{v.version}</code>
          <Typography variant="caption">
            {v.retiring
              ? t('release.retiring')
              : [
                  v.primary ? t('release.primary') : undefined,
                  t('release.weight', { weight: String(v.weight) }),
                  v.header !== undefined
                    ? `${VERSION_HEADER}: ${v.header}`
                    : undefined,
                ]
                  .filter(Boolean)
                  .join(' · ')}
          </Typography>
          <Typography variant="caption">
            {t('release.ready', {
              ready: String(v.readyReplicas),
              total: String(v.desiredReplicas),
            })}
          </Typography>
          <HealthStatus health={v.health} />
          {!v.primary && !v.retiring && (
            <>
              <ActionButton
                kind="update"
                size="small"
                disabled={busy}
                aria-label={`${t('release.weightAction')} ${service.name} ${
                  v.version
                }`}
                onClick={() =>
                  onWeight({
                    kind: 'weight',
                    service: service.name,
                    version: v.version,
                    weight: v.weight,
                  })
                }
              >
                {t('release.weightAction')}
              </ActionButton>
              <ActionButton
                kind="update"
                size="small"
                disabled={busy}
                aria-label={`${t('release.promote')} ${service.name} ${
                  v.version
                }`}
                onClick={() => step('release-promote', v.version)}
              >
                {t('release.promote')}
              </ActionButton>
              <ActionButton
                kind="update"
                size="small"
                disabled={busy}
                aria-label={`${t('release.abort')} ${service.name} ${
                  v.version
                }`}
                onClick={() => step('release-abort', v.version)}
              >
                {t('release.abort')}
              </ActionButton>
            </>
          )}
        </Box>
      ))}
    </Box>
  );
}
