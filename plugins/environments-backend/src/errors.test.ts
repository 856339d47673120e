import {
  KubeApiError,
  PermanentError,
  isTransient,
  isUnreachable,
} from './errors';

describe('which errors are worth waiting out', () => {
  it('knows an unreachable API server from a refusal', () => {
    const refused = Object.assign(
      new Error('connect ECONNREFUSED 127.0.0.1:36443'),
      {
        code: 'ECONNREFUSED',
      },
    );
    expect(isUnreachable(refused)).toBe(true);
    expect(isUnreachable(new Error('socket hang up'))).toBe(true);
    expect(isUnreachable(new PermanentError('connect ECONNREFUSED'))).toBe(
      false,
    );
    expect(
      isUnreachable(new KubeApiError(422, 'PATCH', '/x', undefined, 'invalid')),
    ).toBe(false);
  });

  it('waits out an authorizer that has not loaded its roles yet, but not a real refusal', () => {
    const warming = new KubeApiError(
      403,
      'GET',
      '/api/v1/namespaces/env-x',
      undefined,
      'namespaces "env-x" is forbidden: User "system:serviceaccount:archipelago-system:backstage" cannot get resource "namespaces": RBAC: [clusterrole.rbac.authorization.k8s.io "cluster-admin" not found]',
    );
    expect(warming.permanent).toBe(false);
    expect(isTransient(warming)).toBe(true);
    const forbidden = new KubeApiError(
      403,
      'GET',
      '/api/v1/namespaces/env-x',
      undefined,
      'namespaces "env-x" is forbidden: User "someone" cannot get resource "namespaces"',
    );
    expect(forbidden.permanent).toBe(true);
    expect(isTransient(forbidden)).toBe(false);
  });
});
