import { ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import {
  EmptyState,
  Link,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  ConfigEntry,
  ConfigSource,
  ServiceConfig,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentLink } from '../../hooks/useEnvironmentLink';
import {
  useEnvironmentContext,
  useEnvironmentData,
} from '../EnvironmentView/EnvironmentContext';
import { EmptyMessage } from '../LiveTable';

type Kind = 'env' | 'file' | 'secret';

/** One row of a service's table: an env value, a config file, or a secret reference. */
interface Row extends ConfigEntry {
  kind: Kind;
  secret?: { secret: string; key: string };
}

const useStyles = makeStyles(theme => ({
  service: { marginBottom: theme.spacing(4) },
  heading: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'baseline',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(1),
  },
  note: { marginBottom: theme.spacing(1) },
  code: { wordBreak: 'break-all' },
  file: {
    margin: 0,
    maxHeight: 160,
    maxWidth: 560,
    overflow: 'auto',
    padding: theme.spacing(0.5, 1),
    fontSize: '0.75rem',
    backgroundColor: theme.palette.background.default,
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
  },
  next: {
    // Values break anywhere: without a floor the column shrinks to one character.
    minWidth: 180,
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(0.5),
  },
  mark: { fontWeight: theme.typography.fontWeightMedium as number },
  base: { fontWeight: theme.typography.fontWeightMedium as number },
}));

const sameSource = (a?: ConfigSource, b?: ConfigSource) =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Where a value comes from: the definition, a base (stands out), or this environment. */
function SourceChip(props: { source?: ConfigSource }) {
  const { source } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  if (!source) return null;
  if (source.from === 'base') {
    return (
      <Chip
        size="small"
        variant="outlined"
        color="primary"
        className={classes.base}
        label={t('config.source.base', { environment: source.environment })}
        title={t('config.sourceHelp.base', {
          environment: source.environment,
        })}
      />
    );
  }
  if (source.from === 'environment') {
    return (
      <Chip
        size="small"
        label={t('config.source.environment')}
        title={t('config.sourceHelp.environment')}
      />
    );
  }
  return (
    <Chip
      size="small"
      variant="outlined"
      label={t('config.source.definition')}
      title={t('config.sourceHelp.definition')}
    />
  );
}

function Value(props: { kind: Kind; value: string }) {
  const classes = useStyles();
  if (props.kind === 'file')
    return <pre className={classes.file}>{props.value}</pre>;
  return <code className={classes.code}>{props.value}</code>;
}

/** What the next deploy of the service makes of an entry: a new value, added or removed. */
function NextCell(props: { row: Row }) {
  const { row } = props;
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const next = row.next;
  if (!next) return null;
  let change: ReactNode;
  if (next.value === undefined) {
    change = (
      <Typography component="span" color="error" className={classes.mark}>
        {t('config.removed')}
      </Typography>
    );
  } else if (row.value === undefined) {
    change = (
      <>
        <Typography component="span" color="primary" className={classes.mark}>
          {t('config.added')}
        </Typography>
        <Value kind={row.kind} value={next.value} />
      </>
    );
  } else {
    change = (
      <>
        <span aria-hidden>→</span>
        <Value kind={row.kind} value={next.value} />
      </>
    );
  }
  return (
    <div className={classes.next}>
      {change}
      {next.value !== undefined && !sameSource(row.source, next.source) && (
        <SourceChip source={next.source} />
      )}
    </div>
  );
}

function ServiceSection(props: { service: ServiceConfig; base?: string }) {
  const { service, base } = props;
  const classes = useStyles();
  const theme = useTheme();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const link = useEnvironmentLink();

  const rows: Row[] = [
    ...service.env.map(e => ({ ...e, kind: 'env' as const })),
    ...service.configFiles.map(f => ({ ...f, kind: 'file' as const })),
    ...service.secrets.map(s => ({
      name: s.name,
      kind: 'secret' as const,
      secret: { secret: s.secret, key: s.key },
    })),
  ];
  const hasNext = rows.some(r => r.next);

  const columns: TableColumn<Row>[] = [
    {
      title: t('config.columns.kind'),
      width: '6%',
      render: r => (
        <Typography variant="caption" color="textSecondary">
          {t(`config.kind.${r.kind}`)}
        </Typography>
      ),
    },
    {
      title: t('config.columns.name'),
      field: 'name',
      width: '22%',
      render: r => <code className={classes.code}>{r.name}</code>,
    },
    {
      title: t('config.columns.value'),
      width: hasNext ? '30%' : '50%',
      render: r => {
        if (r.secret)
          return (
            <Typography variant="body2" color="textSecondary">
              {t('config.secretRef', r.secret)}
            </Typography>
          );
        if (r.value === undefined)
          return (
            <Typography variant="body2" color="textSecondary">
              {t('config.unset')}
            </Typography>
          );
        return <Value kind={r.kind} value={r.value} />;
      },
    },
    {
      title: t('config.columns.source'),
      width: hasNext ? '15%' : '22%',
      render: r => <SourceChip source={r.source} />,
    },
  ];
  if (hasNext) {
    columns.push({
      title: t('config.columns.next'),
      width: '25%',
      render: r => <NextCell row={r} />,
    });
  }

  let inheritance: ReactNode = null;
  if (service.inheritsFrom) {
    inheritance = t('config.inheritsFrom', {
      environment: (
        <Link to={link(service.inheritsFrom, 'config')}>
          {service.inheritsFrom}
        </Link>
      ),
    });
  } else if (!service.inheritConfig && base) {
    inheritance = t('config.noInherit');
  }

  return (
    <section aria-label={service.name} className={classes.service}>
      <div className={classes.heading}>
        <Typography variant="h6" component="h2">
          {service.name}
        </Typography>
        {inheritance && (
          <Typography variant="body2" color="textSecondary">
            {inheritance}
          </Typography>
        )}
      </div>
      {service.changedSinceDeploy && (
        <Alert severity="info" className={classes.note}>
          {t('config.changed', { service: service.name })}
        </Alert>
      )}
      <Table<Row>
        options={{
          paging: false,
          search: false,
          toolbar: false,
          sorting: false,
          padding: 'dense',
          // Rows the next deploy changes stand out a little.
          rowStyle: (r: Row) =>
            r.next ? { backgroundColor: theme.palette.action.hover } : {},
        }}
        // material-table writes into its rows: they are fresh copies already.
        data={rows}
        columns={columns}
        emptyContent={<EmptyMessage>{t('config.noEntries')}</EmptyMessage>}
      />
    </section>
  );
}

/**
 * Each service's env values, config files and secret references as the current revision pinned
 * them (seed 001's multi-level configuration): where each value comes from (the service
 * definition, a base environment, this environment), whether the service inherits from a base,
 * and what a deploy of the service would change now that its base or definition changed.
 */
export function ConfigTab() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { value: env } = useEnvironmentContext();
  const config = useEnvironmentData('config', (api, n) => api.getConfig(n));

  if (config.error && !config.value)
    return <ResponseErrorPanel error={config.error} />;
  if (!config.value) return <Progress />;
  const { services, revision } = config.value;
  if (!services.length)
    return (
      <EmptyState
        missing="content"
        title={t('config.empty')}
        description={t('config.emptyHint')}
      />
    );
  const base = config.value.base ?? env?.base;
  return (
    <>
      <Box mb={2}>
        <Typography variant="body2" color="textSecondary">
          {t('config.intro', { revision: String(revision) })}
        </Typography>
      </Box>
      {!!config.value.deployProblems?.length && (
        <Box mb={2}>
          <Alert severity="warning" data-testid="config-deploy-problems">
            {t('config.deployProblems')}
            <ul>
              {config.value.deployProblems.map(p => (
                <li key={`${p.path}: ${p.message}`}>
                  <code>{p.path}</code>: {p.message}
                </li>
              ))}
            </ul>
          </Alert>
        </Box>
      )}
      {services.map(s => (
        <ServiceSection key={s.name} service={s} base={base} />
      ))}
    </>
  );
}
