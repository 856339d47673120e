import { emptySnapshot, eventProjection } from './WatchCache';
import { eventViews } from '../status/derive';

/** An Event as the API server sends it (core/v1), with what the cache has no use for. */
const coreEvent = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: {
    name: 'web-7d9.17f',
    namespace: 'env-a',
    uid: 'u1',
    resourceVersion: '12',
    creationTimestamp: '2026-12-01T10:00:00Z',
    managedFields: [{ manager: 'kube-scheduler', operation: 'Update' }],
  },
  involvedObject: {
    kind: 'Pod',
    name: 'web-7d9',
    namespace: 'env-a',
    uid: 'p1',
    apiVersion: 'v1',
    resourceVersion: '9',
  },
  reason: 'BackOff',
  message: 'Back-off restarting failed container',
  source: { component: 'kubelet', host: 'kwok-node-0' },
  firstTimestamp: '2026-12-01T09:58:00Z',
  lastTimestamp: '2026-12-01T10:00:00Z',
  count: 4,
  type: 'Warning',
  reportingComponent: 'kubelet',
  reportingInstance: 'kwok-node-0',
};

/** The same as events.k8s.io/v1 shapes it: regarding, note, series, eventTime. */
const newEvent = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: {
    name: 'web.18a',
    namespace: 'env-a',
    uid: 'u2',
    resourceVersion: '13',
    creationTimestamp: '2026-12-01T10:01:00Z',
  },
  regarding: { kind: 'Deployment', name: 'web', uid: 'd1' },
  note: 'Scaled up replica set web-7d9 to 2',
  reason: 'ScalingReplicaSet',
  series: { count: 2, lastObservedTime: '2026-12-01T10:01:00Z' },
  eventTime: '2026-12-01T10:01:00.000000Z',
  reportingController: 'deployment-controller',
  type: 'Normal',
};

describe('eventProjection', () => {
  it('keeps what the events view shows, for both Event shapes', () => {
    const full = { ...emptySnapshot(), events: [coreEvent, newEvent] as any };
    const kept = {
      ...emptySnapshot(),
      events: [coreEvent, newEvent].map(e => eventProjection(e as any)),
    };
    expect(eventViews(kept)).toEqual(eventViews(full));
    expect(eventViews(kept)).toEqual([
      {
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: 'Scaled up replica set web-7d9 to 2',
        object: { kind: 'Deployment', name: 'web' },
        count: 2,
        lastTimestamp: '2026-12-01T10:01:00.000Z',
      },
      {
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container',
        object: { kind: 'Pod', name: 'web-7d9' },
        count: 4,
        lastTimestamp: '2026-12-01T10:00:00.000Z',
      },
    ]);
  });

  it('keeps what the cache files it under, and drops the rest', () => {
    const kept = eventProjection(coreEvent as any) as any;
    expect(kept.metadata).toEqual({
      name: 'web-7d9.17f',
      namespace: 'env-a',
      uid: 'u1',
      resourceVersion: '12',
      creationTimestamp: '2026-12-01T10:00:00Z',
    });
    expect(kept.source).toBeUndefined();
    expect(kept.involvedObject).toEqual({ kind: 'Pod', name: 'web-7d9' });
    expect(JSON.stringify(kept).length).toBeLessThan(
      JSON.stringify(coreEvent).length / 2,
    );
  });
});
