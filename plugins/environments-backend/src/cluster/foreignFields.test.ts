import { foreignEntries, foreignFields, removalPatch } from './foreignFields';
import { withoutOwnManagedFields } from './WatchCache';

/** A Deployment as the API server keeps it after `kubectl set env`, `kubectl scale` and a hand-added nodeSelector. */
const live: any = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    resourceVersion: '42',
    labels: { app: 'web', extra: 'yes' },
    managedFields: [
      {
        manager: 'archipelago',
        operation: 'Apply',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        subresource: 'status',
        fieldsV1: { 'f:status': { 'f:replicas': {} } },
      },
      {
        manager: 'kubectl',
        operation: 'Update',
        subresource: 'scale',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
      {
        manager: 'kubectl-set',
        operation: 'Update',
        fieldsV1: {
          'f:spec': {
            'f:template': {
              'f:spec': {
                'f:containers': {
                  'k:{"name":"web"}': {
                    'f:env': {
                      '.': {},
                      'k:{"name":"EVIL"}': {
                        '.': {},
                        'f:name': {},
                        'f:value': {},
                      },
                      'k:{"name":"LOG"}': {
                        '.': {},
                        'f:name': {},
                        'f:value': {},
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      {
        manager: 'kubectl-edit',
        operation: 'Update',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:extra': {} } },
          'f:spec': {
            'f:template': {
              'f:spec': { 'f:nodeSelector': { '.': {}, 'f:branch': {} } },
            },
          },
        },
      },
    ],
  },
  spec: {
    replicas: 3,
    template: {
      spec: {
        nodeSelector: { branch: 'weekly' },
        containers: [
          {
            name: 'web',
            image: 'x:1',
            env: [
              { name: 'LOG', value: 'debug' },
              { name: 'EVIL', value: '1' },
            ],
          },
        ],
      },
    },
  },
};

const manifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'x:1', env: [{ name: 'LOG', value: 'info' }] },
        ],
      },
    },
  },
};

describe('foreign fields', () => {
  it("ignores our own apply and the cluster's status writers", () => {
    expect(foreignEntries(live).map(e => e.manager)).toEqual([
      'kubectl',
      'kubectl-set',
      'kubectl-edit',
    ]);
  });

  it('finds what others wrote, and whether we render it too', () => {
    expect(
      foreignFields(live, manifest).map(f => [f.path, f.rendered]),
    ).toEqual([
      ['spec.replicas', true],
      ['spec.template.spec.containers[0].env[1]', false],
      ['spec.template.spec.containers[0].env[0].name', true],
      ['spec.template.spec.containers[0].env[0].value', true],
      ['metadata.labels.extra', false],
      ['spec.template.spec.nodeSelector', false],
    ]);
  });

  it('takes out only what we do not render, guarded by the resourceVersion; a rendered list is set whole', () => {
    expect(removalPatch(live, manifest)).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'remove', path: '/spec/template/spec/nodeSelector' },
      {
        op: 'replace',
        path: '/spec/template/spec/containers/0/env',
        value: [{ name: 'LOG', value: 'info' }],
      },
      { op: 'remove', path: '/metadata/labels/extra' },
    ]);
    const { managedFields: _m, ...meta } = live.metadata;
    expect(removalPatch({ ...live, metadata: meta }, manifest)).toBeUndefined();
  });
});

describe('withoutOwnManagedFields', () => {
  it('keeps exactly the entries a repair reads, and drops ours and the cluster’s', () => {
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        managedFields: [
          {
            manager: 'archipelago',
            operation: 'Apply',
            fieldsV1: { 'f:spec': {} },
          },
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            subresource: 'status',
          },
          {
            manager: 'kubectl-edit',
            operation: 'Update',
            fieldsV1: { 'f:metadata': {} },
          },
        ],
      },
    };
    const kept = withoutOwnManagedFields(obj as any);
    expect(kept.metadata?.managedFields).toEqual([
      obj.metadata.managedFields[2],
    ]);
    expect(foreignEntries(kept)).toEqual(foreignEntries(obj as any));
    expect(obj.metadata.managedFields).toHaveLength(3);
    const ours = {
      ...obj,
      metadata: {
        name: 'web',
        managedFields: obj.metadata.managedFields.slice(0, 2),
      },
    };
    expect(withoutOwnManagedFields(ours as any).metadata).toEqual({
      name: 'web',
    });
  });
});
