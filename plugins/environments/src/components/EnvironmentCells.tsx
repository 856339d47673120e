import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Environment } from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../translation';
import { useFormat } from '../hooks/useFormat';
import { PhaseStatus } from './status';

const useStyles = makeStyles(theme => ({
  soon: { color: theme.palette.error.main, fontWeight: 600 },
}));

/** Expiry as "in 3 hr", red under an hour. */
export function Expiry(props: { env: Environment; now: number }) {
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const { env, now } = props;
  if (!env.expiresAt) return <>{t('time.never')}</>;
  const left = new Date(env.expiresAt).getTime() - now;
  if (left <= 0) return <>{t('time.expired')}</>;
  return (
    <span
      className={left < 3_600_000 ? classes.soon : undefined}
      title={format.dateTime(env.expiresAt)}
    >
      {format.relative(env.expiresAt, now)}
    </span>
  );
}

/** The environment's phase, and the operation in progress if one is. */
export function EnvironmentStatusCell(props: { env: Environment }) {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const op = props.env.lastOperation;
  const active = op && (op.status === 'pending' || op.status === 'running');
  return (
    <>
      <PhaseStatus phase={props.env.status.phase} />
      {active && (
        <Typography variant="caption" display="block" color="textSecondary">
          {t(`operationType.${op!.type}`)} ·{' '}
          {t(`operationStatus.${op!.status}`)}
        </Typography>
      )}
    </>
  );
}
