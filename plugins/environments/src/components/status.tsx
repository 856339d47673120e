import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  EnvironmentPhase,
  OperationState,
  OperationStep,
  ServiceHealth,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../translation';

type StatusComponent = typeof StatusOK;

const PHASE: Record<EnvironmentPhase, StatusComponent> = {
  Creating: StatusRunning,
  Ready: StatusOK,
  Degraded: StatusWarning,
  Stopped: StatusAborted,
  Failed: StatusError,
  Destroying: StatusRunning,
  Expired: StatusAborted,
  Destroyed: StatusAborted,
};

const HEALTH: Record<ServiceHealth, StatusComponent> = {
  Ready: StatusOK,
  Progressing: StatusRunning,
  Degraded: StatusWarning,
  Stopped: StatusAborted,
  Failed: StatusError,
  Missing: StatusError,
};

const OPERATION: Record<
  OperationState | OperationStep['status'],
  StatusComponent
> = {
  pending: StatusPending,
  running: StatusRunning,
  succeeded: StatusOK,
  failed: StatusError,
  skipped: StatusAborted,
};

/** An environment's phase with its status icon. */
export function PhaseStatus(props: { phase: EnvironmentPhase }) {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const Status = PHASE[props.phase] ?? StatusPending;
  return <Status>{t(`phase.${props.phase}`)}</Status>;
}

/** A service's health with its status icon. */
export function HealthStatus(props: { health: ServiceHealth }) {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const Status = HEALTH[props.health] ?? StatusPending;
  return <Status>{t(`health.${props.health}`)}</Status>;
}

/** An operation's or a step's state with its status icon. */
export function OperationStatus(props: {
  status: OperationState | OperationStep['status'];
}) {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const Status = OPERATION[props.status] ?? StatusPending;
  return <Status>{t(`operationStatus.${props.status}`)}</Status>;
}
