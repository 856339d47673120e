/*
 * Status derivation from JSON fixtures: each file under __fixtures__ holds an environment, a
 * namespace snapshot as the watch cache would hold it, its operations, and the expected phase,
 * reasons and per-service health.
 */
import fs from 'node:fs';
import path from 'node:path';
import { emptySnapshot } from '../cluster/WatchCache';
import { deriveStatus, observedRegistry } from './derive';

const dir = path.join(__dirname, '__fixtures__');
const fixtures = fs
  .readdirSync(dir)
  .filter(f => f.endsWith('.json'))
  .sort()
  .map(f => ({
    file: f,
    ...JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')),
  }));

describe('deriveStatus', () => {
  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(7);
  });

  it.each(fixtures.map(f => [f.file, f] as const))('%s', (_file, f) => {
    const snapshot = { ...emptySnapshot(), ...f.snapshot };
    const status = deriveStatus(
      f.env,
      snapshot,
      f.operations,
      new Date('2026-12-01T12:00:00Z'),
    );
    expect(status.phase).toBe(f.expected.phase);
    expect(status.reasons).toEqual(f.expected.reasons);
    expect(
      status.services.map(s => [
        s.name,
        s.kind,
        s.health,
        s.desiredReplicas,
        s.readyReplicas,
      ]),
    ).toEqual(f.expected.services);
  });

  it('registers the pods of addressable services only, as their drivers say', () => {
    const f = fixtures.find(x => x.file === 'ready.json')!;
    const entries = observedRegistry('feat', {
      ...emptySnapshot(),
      ...f.snapshot,
    });
    expect(entries.map(e => [e.service, e.instance, e.ready])).toEqual([
      ['global', 'global-x', true],
      ['game', 'game-0', true],
    ]);
  });
});
