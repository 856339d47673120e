/* One island as the API shows it, from its record, its Pod in the watch cache and the registry. */
import {
  Clock,
  IslandView,
  ResolvedService,
  describeClock,
} from '@archipelago/plugin-environments-common';
import type { NamespaceSnapshot } from '../cluster/WatchCache';
import type { EnvironmentRecord } from '../store/EnvironmentStore';
import {
  ISLAND_LABEL,
  ISLAND_LAUNCH_LABEL,
  islandState,
} from '../workloads/island';
import type { IslandRecord } from './IslandStore';

export function islandView(
  island: IslandRecord,
  ctx: {
    env: EnvironmentRecord;
    snapshot: NamespaceSnapshot;
    service?: ResolvedService;
    registered: boolean;
  },
): IslandView {
  const { env } = ctx;
  let effective: Clock = {};
  let source: IslandView['clock']['source'] = 'environment';
  let since: Date | undefined = env.clockSetAt ?? env.createdAt;
  if (island.clock) {
    effective = island.clock;
    source = 'island';
    since = island.clockSetAt;
  } else if (env.spec.clock) {
    effective = env.spec.clock;
  } else if (ctx.service?.island?.clock) {
    effective = ctx.service.island.clock;
    source = 'service';
    since = undefined;
  }
  const ports = Object.entries(island.ports)
    .map(([name, port]) => ({ name, port }))
    .sort((a, b) => a.port - b.port);
  const stopped =
    island.desired === 'stopped' || env.stopped.includes(island.service);
  const state =
    island.desired === 'removed' || stopped
      ? undefined
      : islandState(
          { ...island, launched: island.launched >= island.launch },
          ctx.snapshot.pods,
        );
  // A stopped or removed island's Pod may still be on its way out.
  const pod: any =
    state?.pod ??
    (ctx.snapshot.pods as any[]).find(
      p => p.metadata?.labels?.[ISLAND_LABEL] === String(island.id),
    );
  // The exited Pod of the launch before, kept so its logs can be read.
  const before: any = (ctx.snapshot.pods as any[]).find(
    p =>
      p.metadata?.labels?.[ISLAND_LABEL] === String(island.id) &&
      p.metadata?.labels?.[ISLAND_LAUNCH_LABEL] === String(island.launch - 1),
  );
  const beforeState = before
    ? islandState(
        { id: island.id, launch: island.launch - 1, launched: true },
        [before],
      )
    : undefined;
  const container = pod?.status?.containerStatuses?.[0];
  const startedAt: string | undefined =
    container?.state?.running?.startedAt ?? pod?.status?.startTime;
  const hostIP: string | undefined = pod?.status?.hostIP;
  let phase: IslandView['phase'];
  if (island.desired === 'removed') phase = 'Removing';
  else if (stopped) phase = 'Stopped';
  else phase = state!.state;
  // A start runs from when the process read it: its container's start or the clock's change.
  const read = [since, startedAt ? new Date(startedAt) : undefined]
    .filter((d): d is Date => !!d)
    .sort((a, b) => b.getTime() - a.getTime())[0];
  return {
    id: island.id,
    service: island.service,
    desired: island.desired === 'stopped' ? 'stopped' : 'running',
    phase,
    ...(state?.reason && phase !== 'Ready' ? { reason: state.reason } : {}),
    ...(state?.exitCode !== undefined ? { exitCode: state.exitCode } : {}),
    ...(pod ? { pod: pod.metadata?.name } : {}),
    ...(pod?.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    ...(hostIP ? { hostIP } : {}),
    ...(pod?.status?.podIP ? { podIP: pod.status.podIP } : {}),
    ports,
    connect: hostIP
      ? ports.map(p => ({ name: p.name, address: `${hostIP}:${p.port}` }))
      : [],
    clock: {
      effective,
      source,
      description: describeClock(effective),
      ...(read ? { since: read.toISOString() } : {}),
    },
    registered: ctx.registered,
    ...(before && beforeState?.state === 'Down'
      ? {
          previous: {
            pod: before.metadata.name,
            ...(beforeState.exitCode !== undefined
              ? { exitCode: beforeState.exitCode }
              : {}),
            ...(beforeState.reason ? { reason: beforeState.reason } : {}),
          },
        }
      : {}),
    ...(startedAt ? { startedAt } : {}),
    restarts: island.launch - 1,
  };
}
