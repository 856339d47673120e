import { namespaceOwnership } from './namespaceOwnership';

const env = { id: '0b8e6f5e-1', name: 'feat-login' };
const ns = (
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  extra: Record<string, unknown> = {},
) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name: 'env-feat-login',
    uid: 'u-1',
    labels,
    annotations,
    ...extra,
  },
});
const managed = {
  'app.kubernetes.io/managed-by': 'archipelago',
  'archipelago.dev/environment': 'feat-login',
};

describe('namespaceOwnership', () => {
  it('is absent when there is no namespace', () => {
    expect(namespaceOwnership(undefined, env)).toEqual({ owned: 'absent' });
  });

  it("is ours only with this environment's id, and reports the uid for the delete precondition", () => {
    expect(
      namespaceOwnership(
        ns(managed, { 'archipelago.dev/environment-id': env.id }),
        env,
      ),
    ).toEqual({ owned: 'ours', uid: 'u-1', terminating: false });
    expect(
      namespaceOwnership(
        ns(
          managed,
          { 'archipelago.dev/environment-id': env.id },
          { deletionTimestamp: '2026-12-01T00:00:00Z' },
        ),
        env,
      ),
    ).toMatchObject({ owned: 'ours', terminating: true });
  });

  it('is theirs when another environment of the same name made it', () => {
    const r = namespaceOwnership(
      ns(managed, { 'archipelago.dev/environment-id': 'an-older-one' }),
      env,
    );
    expect(r).toEqual({
      owned: 'theirs',
      reason: expect.stringContaining('an-older-one'),
    });
  });

  it('is theirs when someone else made it, even with the same name', () => {
    expect(namespaceOwnership(ns({ team: 'ops' }), env)).toEqual({
      owned: 'theirs',
      reason: expect.stringContaining('not made by Archipelago'),
    });
    expect(
      namespaceOwnership(
        ns({ ...managed, 'archipelago.dev/environment': 'other' }),
        env,
      ),
    ).toEqual({ owned: 'theirs', reason: expect.stringContaining('"other"') });
  });

  it('recognises a namespace by labels alone only for an environment made before ids were recorded', () => {
    expect(namespaceOwnership(ns(managed), env)).toEqual({
      owned: 'theirs',
      reason: expect.stringContaining('no archipelago.dev/environment-id'),
    });
    expect(
      namespaceOwnership(ns(managed), { ...env, legacyNamespace: true }),
    ).toMatchObject({ owned: 'ours' });
  });
});
