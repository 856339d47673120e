import { ReactNode } from 'react';
import Button, { ButtonProps } from '@material-ui/core/Button';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';

export type ActionKind = 'update' | 'delete';

/**
 * Why the user cannot do an action now, or undefined when they can: the permission policy
 * refuses it, or the environment is being destroyed or is gone. While the permission is being
 * asked, the action is disabled without a reason.
 */
export function useDisabledReason(kind: ActionKind): {
  disabled: boolean;
  reason?: string;
} {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { permissions, value: env } = useEnvironmentContext();
  const permission = permissions[kind];
  if (permission.loading || !env) return { disabled: true };
  if (!permission.allowed) {
    return {
      disabled: true,
      reason: t('actions.denied', {
        action: t(`actions.deniedAction.${kind}`),
        permission: permission.permission,
        owner: env.owner,
      }),
    };
  }
  const phase = env.status.phase;
  if (
    env.destroyedAt ||
    phase === 'Destroying' ||
    phase === 'Destroyed' ||
    phase === 'Expired'
  ) {
    return {
      disabled: true,
      reason: t('actions.inactive', { phase: t(`phase.${phase}`) }),
    };
  }
  return { disabled: false };
}

/** A button for an action on the environment: disabled, with the reason on hover, when refused. */
export function ActionButton(
  props: ButtonProps & { kind: ActionKind; children: ReactNode },
) {
  const { kind, children, ...rest } = props;
  const { disabled, reason } = useDisabledReason(kind);
  const button = (
    <Button {...rest} disabled={disabled || rest.disabled}>
      {children}
    </Button>
  );
  if (!reason) return button;
  return (
    <Tooltip title={reason}>
      {/* A disabled button gets no pointer events; the span carries the tooltip. */}
      <span data-testid="disabled-reason" aria-label={reason}>
        {button}
      </span>
    </Tooltip>
  );
}

/** The same for an icon button, which always has a label. */
export function ActionIconButton(props: {
  kind: ActionKind;
  label: string;
  onClick: () => void;
  children: ReactNode;
}) {
  const { disabled, reason } = useDisabledReason(props.kind);
  return (
    <Tooltip title={reason ?? props.label}>
      <span>
        <IconButton
          size="small"
          aria-label={props.label}
          disabled={disabled}
          onClick={props.onClick}
        >
          {props.children}
        </IconButton>
      </span>
    </Tooltip>
  );
}
