import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  branchName,
  environmentNameForBranch,
  withNameFromBranch,
} from './branches';
import { environmentName } from '../spec/primitives';

// Branches as people name them: path segments of letters, digits, "-", "_" and ".".
const segment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/);
const branch = fc
  .array(segment, { minLength: 1, maxLength: 8 })
  .map(s => s.join('/'))
  .filter(b => branchName.safeParse(b).success);

describe('environmentNameForBranch', () => {
  it.each([
    ['feature/login', 'feature-login'],
    ['Feature/Login_v2', 'feature-login-v2'],
    ['refs/heads/feature/login', 'feature-login'],
    ['main', 'main'],
    ['release/1.2.3', 'release-1-2-3'],
    ['--weird__/', 'weird'],
    ['feature/登录', 'feature'],
  ])('names %s %s', (b, name) => {
    expect(environmentNameForBranch(b)).toBe(name);
  });

  it('cuts a long branch and ends it in a hash of the whole branch', () => {
    const long = `feature/${'very-long-branch-name-'.repeat(4)}a`;
    const b = `${long}b`;
    const nameA = environmentNameForBranch(`${long}a`);
    const nameB = environmentNameForBranch(b);
    expect(nameA).toHaveLength(40);
    expect(nameA).toMatch(/^feature-very-long-branch-name-v-[0-9a-f]{8}$/);
    expect(nameB.slice(0, 31)).toBe(nameA.slice(0, 31));
    expect(nameB).not.toBe(nameA);
  });

  it('names a branch with no letter or digit by its hash', () => {
    expect(environmentNameForBranch('登录')).toMatch(/^branch-[0-9a-f]{8}$/);
    expect(environmentNameForBranch('登录')).not.toBe(
      environmentNameForBranch('注册'),
    );
  });

  it('always gives a valid environment name, the same one each time', () => {
    fc.assert(
      fc.property(fc.oneof(branch, fc.string({ maxLength: 300 })), b => {
        const name = environmentNameForBranch(b);
        expect(environmentName.safeParse(name).success).toBe(true);
        expect(environmentNameForBranch(b)).toBe(name);
        expect(environmentNameForBranch(`refs/heads/${b}`)).toBe(
          environmentNameForBranch(b.trim()),
        );
      }),
    );
  });

  it('keeps a name that is already a valid environment name', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/),
        name => {
          fc.pre(!name.includes('--'));
          expect(environmentNameForBranch(name)).toBe(name);
        },
      ),
    );
  });

  it('gives two long branches that differ anywhere two names', () => {
    fc.assert(
      fc.property(branch, branch, (a, b) => {
        const long = (x: string) => `feature/${'x'.repeat(40)}/${x}`;
        fc.pre(long(a) !== long(b));
        expect(environmentNameForBranch(long(a))).not.toBe(
          environmentNameForBranch(long(b)),
        );
      }),
    );
  });
});

describe('branchName', () => {
  it.each([
    ['feature login', 'no spaces'],
    ['feature..x', 'no ".."'],
    ['/feature', 'no leading'],
    ['a'.repeat(256), 'at most 255'],
    ['', 'must not be empty'],
  ])('refuses %j', (b, message) => {
    const r = branchName.safeParse(b);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toContain(message);
  });
});

describe('withNameFromBranch', () => {
  it('names a request by its branch when it has no name', () => {
    expect(withNameFromBranch({ branch: 'feature/login', owner: 'x' })).toEqual(
      { branch: 'feature/login', owner: 'x', name: 'feature-login' },
    );
  });

  it('leaves a request with a name, or with an invalid branch, as it is', () => {
    const named = { name: 'mine', branch: 'feature/login' };
    expect(withNameFromBranch(named)).toBe(named);
    const bad = { branch: 'has space' };
    expect(withNameFromBranch(bad)).toBe(bad);
    expect(withNameFromBranch('text')).toBe('text');
  });
});

describe('docs/ci.md', () => {
  it('names each branch of its table as the function does', () => {
    const doc = fs.readFileSync(
      path.resolve(__dirname, '../../../../docs/ci.md'),
      'utf8',
    );
    const rows = [...doc.matchAll(/^\| `([^`]+)` +\| `([^`]+)` +\|$/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const [, given, name] of rows) {
      const pattern = new RegExp(
        `^${name
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replace('<hash>', '[0-9a-f]{8}')}$`,
      );
      expect(environmentNameForBranch(given)).toMatch(pattern);
    }
  });
});
