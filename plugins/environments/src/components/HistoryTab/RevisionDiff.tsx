import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { environmentsTranslationRef } from '../../translation';
import { specDiff } from './specDiff';

const useStyles = makeStyles(theme => ({
  pre: {
    fontFamily: 'monospace',
    fontSize: 13,
    margin: 0,
    padding: theme.spacing(1),
    background: theme.palette.background.default,
    overflow: 'auto',
    maxHeight: 480,
  },
  added: {
    background:
      theme.palette.type === 'dark'
        ? 'rgba(46, 160, 67, 0.3)'
        : 'rgba(46, 160, 67, 0.15)',
  },
  removed: {
    background:
      theme.palette.type === 'dark'
        ? 'rgba(248, 81, 73, 0.3)'
        : 'rgba(248, 81, 73, 0.15)',
  },
  same: { color: theme.palette.text.secondary },
}));

const MARK = { added: '+', removed: '-', same: ' ' } as const;

/** What changes between two revisions' specs, as a unified diff of their YAML. */
export function RevisionDiff(props: {
  from: { revision: number; spec: unknown };
  to: { revision: number; spec: unknown };
}) {
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const lines = specDiff(props.from.spec, props.to.spec);
  const changed = lines.some(l => l.kind !== 'same');
  return (
    <div data-testid="revision-diff">
      <Typography variant="subtitle2" gutterBottom>
        {t('history.diffTitle', {
          from: String(props.from.revision),
          to: String(props.to.revision),
        })}
      </Typography>
      {changed ? (
        <pre className={classes.pre}>
          {lines.map((line, i) => (
            <div key={i} className={classes[line.kind]}>
              {MARK[line.kind]} {line.text}
            </div>
          ))}
        </pre>
      ) : (
        <Typography variant="body2">{t('history.noDiff')}</Typography>
      )}
    </div>
  );
}
