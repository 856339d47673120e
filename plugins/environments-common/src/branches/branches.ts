/*
 * Branch environments (seed 001): a push to a feature branch deploys that branch into an
 * environment of its own. The environment's name comes from the branch through this one
 * function, which the REST API (a spec with a branch and no name), the scaffolder templates
 * (through the API), the CI snippets in docs/ci.md and the docs all share.
 */
import { z } from 'zod';
import { LIMITS } from '../spec/primitives';

/** What a branch may be: git's rules for a ref name, less the ones no CI produces. */
export const BRANCH_LIMITS = { branch: 255, hash: 8 } as const;

export const branchName = z
  .string()
  .min(1, 'must not be empty')
  .max(
    BRANCH_LIMITS.branch,
    `must be at most ${BRANCH_LIMITS.branch} characters`,
  )
  .regex(
    // eslint-disable-next-line no-control-regex
    /^[^\s~^:?*[\\\u0000-\u001f\u007f]+$/,
    'must be a git branch name: no spaces, control characters or any of ~ ^ : ? * [ \\',
  )
  .refine(
    b => !b.startsWith('/') && !b.endsWith('/') && !b.includes('..'),
    'must be a git branch name: no leading or trailing "/", and no ".."',
  );

/** The full ref a CI variable may give (GITHUB_REF, say) names the same branch. */
const REF_PREFIX = /^refs\/heads\//;

/** FNV-1a, 32 bits, as 8 hex digits: stable across runtimes, and no dependency. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(BRANCH_LIMITS.hash, '0');
}

/** The branch a ref names: `refs/heads/feature/login` is `feature/login`. */
export function branchOfRef(ref: string): string {
  return ref.trim().replace(REF_PREFIX, '');
}

/**
 * The environment name of a branch:
 * - lower-cased, every run of characters other than a-z and 0-9 becomes one "-", and "-" is
 *   trimmed from both ends (`Feature/Login_v2` is `feature-login-v2`);
 * - a name longer than an environment name may be (40) is cut, and ends in "-" and 8 hex
 *   digits of a hash of the whole branch, so two long branches that start alike still differ;
 * - a branch with no letter or digit is `branch-<hash>`.
 * A branch that is already a valid short name keeps it. The same branch always gives the
 * same name; `refs/heads/<branch>` gives the name of `<branch>`.
 */
export function environmentNameForBranch(ref: string): string {
  const branch = branchOfRef(ref);
  const max = LIMITS.environmentName;
  const slug = branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!slug) return `branch-${fnv1a(branch)}`;
  if (slug.length <= max) return slug;
  const cut = slug.slice(0, max - BRANCH_LIMITS.hash - 1).replace(/-+$/, '');
  return `${cut}-${fnv1a(branch)}`;
}

/**
 * A create or apply request that names a branch and no environment: the name is the branch's.
 * Anything else is returned as it is (validation reports what is wrong with it).
 */
export function withNameFromBranch(input: unknown): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const o = input as Record<string, unknown>;
  if (o.name !== undefined || typeof o.branch !== 'string') return input;
  if (!branchName.safeParse(branchOfRef(o.branch)).success) return input;
  return { ...o, name: environmentNameForBranch(o.branch) };
}
