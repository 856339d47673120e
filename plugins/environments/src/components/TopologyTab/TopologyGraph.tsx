import { useMemo } from 'react';
import { useNavigate } from 'react-router-dom';
import { Theme, makeStyles, useTheme } from '@material-ui/core/styles';
import {
  DependencyGraph,
  DependencyGraphTypes,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  ServiceHealth,
  Topology,
  TopologyNode,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentLink } from '../../hooks/useEnvironmentLink';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';

const NODE_WIDTH = 240;
const NODE_HEIGHT = 104;
/** The tabs each node links to, for its service. */
const NODE_LINKS = ['registry', 'pods'] as const;

type NodeData = TopologyNode;
type EdgeData = { fallback: boolean };

const useStyles = makeStyles(theme => ({
  box: {
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    boxSizing: 'border-box',
    borderRadius: 6,
    border: `1px solid ${theme.palette.divider}`,
    background: theme.palette.background.paper,
    padding: theme.spacing(0.75, 1, 0.75, 1.5),
    fontFamily: theme.typography.fontFamily,
    fontSize: 12,
    color: theme.palette.text.primary,
    overflow: 'hidden',
    position: 'relative',
  },
  fallback: { borderStyle: 'dashed', opacity: 0.85 },
  stripe: { position: 'absolute', left: 0, top: 0, bottom: 0, width: 5 },
  title: {
    display: 'flex',
    justifyContent: 'space-between',
    fontSize: 14,
    fontWeight: 600,
  },
  version: {
    fontFamily: 'monospace',
    fontWeight: 400,
    fontSize: 12,
    color: theme.palette.text.secondary,
    maxWidth: 110,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  },
  muted: { color: theme.palette.text.secondary },
  address: {
    fontFamily: 'monospace',
    fontSize: 11,
    color: theme.palette.text.secondary,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  },
  links: { display: 'flex', gap: 10, marginTop: 2 },
  link: {
    color: theme.palette.primary.main,
    cursor: 'pointer',
    background: 'none',
    border: 'none',
    padding: 0,
    font: 'inherit',
    textDecoration: 'underline',
  },
  label: { fontSize: 11, fill: theme.palette.text.secondary },
}));

/** Taller for each version a node lists. */
const nodeHeight = (node: TopologyNode) =>
  NODE_HEIGHT + 16 * (node.versions?.length ?? 0);

/** A service that neither the environment nor any base runs: nothing answers for it. */
function unanswered(node: TopologyNode): boolean {
  return node.fallback && node.health === 'Missing';
}

export function healthColor(theme: Theme, health: ServiceHealth): string {
  switch (health) {
    case 'Ready':
      return theme.palette.success?.main ?? '#2e7d32';
    case 'Progressing':
      return theme.palette.info?.main ?? '#0288d1';
    case 'Degraded':
      return theme.palette.warning?.main ?? '#ed6c02';
    case 'Stopped':
      return theme.palette.grey[500];
    default:
      return theme.palette.error.main;
  }
}

/**
 * The environment's services as a graph: each node shows its version, ready/total instances and
 * health, and links to its registry entry and pods; services answered by a base environment are
 * dashed and say where they come from, as are the edges that fall back to them.
 */
export function TopologyGraph(props: { topology: Topology }) {
  const { topology } = props;
  const classes = useStyles();
  const theme = useTheme<Theme>();
  const navigate = useNavigate();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { name } = useEnvironmentContext();
  const link = useEnvironmentLink();

  const nodes = useMemo(
    () => topology.nodes.map(n => ({ ...n, id: n.id })),
    [topology.nodes],
  );
  const edges = useMemo(() => {
    const fallbackLabel = (to: string) => {
      const target = topology.nodes.find(n => n.id === to);
      return target && unanswered(target)
        ? t('topology.unanswered')
        : t('topology.fallsBackTo', { environment: target?.environment ?? '' });
    };
    return topology.edges.map(e => ({
      from: e.from,
      to: e.to,
      fallback: e.fallback,
      label: e.fallback ? fallbackLabel(e.to) : undefined,
    }));
  }, [topology, t]);

  const renderNode = ({
    node,
  }: DependencyGraphTypes.RenderNodeProps<NodeData>) => (
    <foreignObject width={NODE_WIDTH} height={nodeHeight(node)}>
      <div
        className={`${classes.box} ${node.fallback ? classes.fallback : ''}`}
        style={{ height: nodeHeight(node) }}
        data-testid={`topology-node-${node.service}`}
        data-health={node.health}
      >
        <div
          className={classes.stripe}
          style={{ background: healthColor(theme, node.health) }}
        />
        <div className={classes.title}>
          <span>{node.service}</span>
          <span className={classes.version} title={node.version}>
            {node.version ?? ''}
          </span>
        </div>
        <div>
          {t('topology.readyOf', {
            ready: String(node.ready),
            total: String(node.total),
          })}{' '}
          · {t(`health.${node.health}`)}
        </div>
        <div className={classes.muted}>
          {node.fallback && unanswered(node) && t('topology.unanswered')}
          {node.fallback &&
            !unanswered(node) &&
            t('topology.from', { environment: node.environment })}
        </div>
        <div className={classes.address} title={node.address}>
          {node.address}
        </div>
        {node.versions?.map(v => (
          <div
            key={v.version}
            className={classes.address}
            data-testid={`topology-version-${node.service}-${v.version}`}
            title={`${v.version} · ${v.weight}%${
              v.header !== undefined ? ` · Version: ${v.header}` : ''
            } · ${v.readyReplicas}/${v.desiredReplicas}`}
            style={v.retiring ? { textDecoration: 'line-through' } : undefined}
          >
            {v.version} · {v.weight}%
            {v.header !== undefined ? ` · Version: ${v.header}` : ''} ·{' '}
            {v.readyReplicas}/{v.desiredReplicas}
          </div>
        ))}
        <div
          className={classes.links}
          style={unanswered(node) ? { display: 'none' } : undefined}
        >
          {NODE_LINKS.map(tab => (
            <button
              key={tab}
              type="button"
              className={classes.link}
              onClick={() =>
                navigate(link(node.environment, tab, { service: node.service }))
              }
            >
              {t(`topology.${tab}`)}
            </button>
          ))}
        </div>
      </div>
    </foreignObject>
  );

  // A label on a background of its own, so the edge does not run through its text.
  const renderLabel = ({
    edge,
  }: DependencyGraphTypes.RenderLabelProps<EdgeData>) => {
    const width = (edge.label?.length ?? 0) * 6.2 + 8;
    return (
      <g>
        <rect
          width={width}
          height={16}
          rx={3}
          fill={theme.palette.background.paper}
        />
        <text className={classes.label} x={4} y={12}>
          {edge.label}
        </text>
      </g>
    );
  };

  return (
    <DependencyGraph<NodeData, EdgeData>
      nodes={nodes}
      edges={edges}
      renderNode={renderNode}
      renderLabel={renderLabel}
      direction={DependencyGraphTypes.Direction.LEFT_RIGHT}
      rankMargin={160}
      labelPosition={DependencyGraphTypes.LabelPosition.CENTER}
      nodeMargin={30}
      paddingX={16}
      paddingY={16}
      zoom="enable-on-click"
      fit="contain"
      style={{ width: '100%', minHeight: 280 }}
      data-testid={`topology-graph-${name}`}
    />
  );
}
