import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import LinearProgress from '@material-ui/core/LinearProgress';
import { makeStyles } from '@material-ui/core/styles';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Operation } from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useFormat } from '../../hooks/useFormat';
import { useLive } from '../../hooks/useLive';
import { OperationStatus } from '../status';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';

const useStyles = makeStyles(theme => ({
  root: {
    padding: theme.spacing(1.5, 2),
    marginBottom: theme.spacing(2),
  },
  steps: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(3),
    marginTop: theme.spacing(1),
  },
  error: {
    color: theme.palette.error.main,
    whiteSpace: 'pre-wrap',
    marginTop: theme.spacing(1),
  },
}));

/** One operation: its type and state, who asked, each step with its message, and its error. */
export function OperationDetails(props: { operation: Operation }) {
  const { operation: op } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  return (
    <>
      <Box display="flex" alignItems="center" style={{ gap: 16 }}>
        <Typography variant="subtitle1" component="span">
          <strong>{t(`operationType.${op.type}`)}</strong>
        </Typography>
        <OperationStatus status={op.status} />
        <Typography variant="body2" color="textSecondary" component="span">
          {t('operation.by', {
            user: op.requestedBy,
            time: format.relative(op.createdAt),
          })}
          {op.attempts > 1
            ? ` · ${t('operation.attempts', { attempt: String(op.attempts) })}`
            : ''}
        </Typography>
      </Box>
      {op.steps.length > 0 && (
        <div className={classes.steps} aria-label={t('operation.steps')}>
          {op.steps.map(step => (
            <div key={step.name}>
              <OperationStatus status={step.status} />{' '}
              <Typography variant="body2" component="span">
                {step.name}
              </Typography>
              {step.message && (
                <Typography
                  variant="caption"
                  display="block"
                  color="textSecondary"
                >
                  {step.message}
                </Typography>
              )}
            </div>
          ))}
        </div>
      )}
      {op.error && (
        <Typography variant="body2" className={classes.error} role="alert">
          {t('operation.error')}: {op.error}
        </Typography>
      )}
    </>
  );
}

/**
 * The progress of the operation this page started (until dismissed), or of one that someone
 * else is running now. It follows the environment's signals: each step shows as it happens.
 */
export function OperationBanner() {
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const {
    name,
    generation,
    tracked,
    track,
    value: env,
  } = useEnvironmentContext();
  const trackedOp = useLive(
    () =>
      tracked
        ? api.getOperation(name, tracked)
        : Promise.resolve(undefined as Operation | undefined),
    `${name}|${tracked ?? ''}`,
    generation,
  );
  const last = env?.lastOperation;
  const op =
    trackedOp.value ??
    (last && (last.status === 'pending' || last.status === 'running')
      ? last
      : undefined);
  if (!op) return null;
  const active = op.status === 'pending' || op.status === 'running';
  return (
    <Paper
      className={classes.root}
      variant="outlined"
      data-testid="operation-banner"
      aria-live="polite"
    >
      {active && <LinearProgress style={{ marginBottom: 8 }} />}
      <Box display="flex" alignItems="flex-start">
        <Box flexGrow={1}>
          <OperationDetails operation={op} />
        </Box>
        {tracked && !active && (
          <Button size="small" onClick={() => track(undefined)}>
            {t('operation.dismiss')}
          </Button>
        )}
      </Box>
    </Paper>
  );
}
