/*
 * Several versions of one service side by side (seed 003): the primary version, and beside it
 * the versions of a gray release, each with its own workload and Service, reached by a
 * `Version` header, by weight, or both. Autoscaling of http services lives here too.
 */
import { z } from 'zod';
import { LIMITS, image, version } from './primitives';

export const RELEASE_LIMITS = {
  /** Versions beside the primary one. */
  versions: 4,
  /** Replicas an autoscaler may reach. */
  autoscalingMax: 50,
} as const;

/** The request header a game client names its version in (seed 003). */
export const VERSION_HEADER = 'Version';

/** A header value: printable, no spaces, the way a client sends its version. */
export const headerValue = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(
    /^[A-Za-z0-9._~+-]+$/,
    'must be letters, digits, ".", "_", "~", "+" or "-" (the value of a Version header)',
  );

export const weight = z
  .number({ error: 'must be a percentage from 0 to 100' })
  .int('must be a whole percentage')
  .min(0, 'must be at least 0')
  .max(100, 'must be at most 100');

/** A version's replicas: how many pods it runs. */
export const versionReplicas = z
  .number({ error: 'must be a number of replicas' })
  .int('must be a whole number')
  .min(0, 'must be at least 0')
  .max(LIMITS.replicas, `must be at most ${LIMITS.replicas}`);

/** Refines an object that names a version by `version` or by `image`, exactly one of them. */
export function versionOrImage<
  T extends z.ZodType<{ version?: string; image?: string }>,
>(schema: T) {
  return schema
    .refine(t => t.version || t.image, {
      path: ['version'],
      message: 'is required (or give an image)',
    })
    .refine(t => !(t.version && t.image), {
      path: ['image'],
      message:
        'takes a version or an image, not both (an image names its own tag)',
    });
}

/** One version beside the service's primary one. */
export const versionTrackSchema = versionOrImage(
  z
    .object({
      version: version.optional(),
      /** A full image reference; its tag is the version. */
      image: image.optional(),
      /** Percent of the traffic that no header rule takes. */
      weight: weight.optional(),
      /** Requests whose Version header has this value go to this version. */
      header: headerValue.optional(),
      /** Replicas of this version; the primary's when left out. */
      replicas: versionReplicas.optional(),
    })
    .strict(),
);
export type VersionTrack = z.infer<typeof versionTrackSchema>;

/** `autoscaling`: an autoscaling/v2 HPA per version of an http service. */
export const autoscalingSchema = z
  .object({
    min: z.number().int().min(1, 'must be at least 1'),
    max: z
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(
        RELEASE_LIMITS.autoscalingMax,
        `must be at most ${RELEASE_LIMITS.autoscalingMax}`,
      ),
    /** Target average CPU use, in percent of the pods' CPU request. */
    cpu: z.number().int().min(1).max(1000),
    /** How long load must stay low before replicas go (the HPA's scale-down window). */
    scaleDownSeconds: z.number().int().min(0).max(3600).optional(),
  })
  .strict()
  .refine(a => a.max >= a.min, {
    path: ['max'],
    message: 'must be at least min',
  });
export type Autoscaling = z.infer<typeof autoscalingSchema>;

/** A version as the renderer takes it: the primary, or one beside it. */
export interface ResolvedVersion {
  version: string;
  image: string;
  replicas: number;
  /** Percent of the traffic no header rule takes (the primary gets what is left). */
  weight: number;
  header?: string;
}

/** FNV-1a, hex: a short, stable digest for names. */
function digest(input: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** `1.0.0000` → `1-0-0000`: a version as it can appear in a DNS name. */
export function versionSlug(v: string): string {
  return (
    v
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'x'
  );
}

/**
 * The name of a version's workload and Service: `http-v1-0-0000`, as seed 003 names them. At
 * most 52 characters, so a StatefulSet's pods and revision labels still fit in 63.
 */
export function versionedName(service: string, v: string): string {
  const full = `${service}-v${versionSlug(v)}`;
  if (full.length <= 52) return full;
  return `${full.slice(0, 43).replace(/-+$/, '')}-${digest(full)}`;
}

/** The primary version's weight: what the versions beside it leave. */
export function primaryWeight(versions: readonly { weight: number }[]) {
  return Math.max(0, 100 - versions.reduce((n, v) => n + v.weight, 0));
}

/** A release operation's request, as operations.ts parses it. */
export type ReleaseRequest =
  | {
      type: 'release-start';
      service: string;
      version?: string;
      image?: string;
      header?: string;
      weight?: number;
      replicas?: number;
    }
  | { type: 'release-weight'; service: string; version: string; weight: number }
  | { type: 'release-promote'; service: string; version: string }
  | { type: 'release-abort'; service: string; version: string };

/** The part of a requested service that releases change. */
interface ReleasedService {
  name: string;
  version?: string;
  image?: string;
  replicas?: number;
  versions?: VersionTrack[];
}

/** An image reference's tag, if it has one (a registry's port is no tag). */
export const tagOf = (img: string) => {
  const noDigest = img.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  return colon >= 0 ? noDigest.slice(colon + 1) : undefined;
};

/**
 * The version an image names: its tag, or for an image pinned by digest alone the digest's
 * start (sha256-0a1b2c3d4e5f), or latest.
 */
export function versionOfImage(img: string): string {
  const pinned = /@sha256:([a-f0-9]{12})/.exec(img)?.[1];
  return tagOf(img) ?? (pinned ? `sha256-${pinned}` : 'latest');
}

const trackVersion = (t: VersionTrack) =>
  t.version ?? versionOfImage(t.image ?? '');

/**
 * What a release operation makes of a service's request: a new request (the next revision
 * holds it) and the revision's reason, or the field that is wrong. Pure; the result is
 * resolved and checked like any request afterwards.
 */
export function applyRelease<S extends ReleasedService>(
  svc: S,
  req: ReleaseRequest,
):
  | { ok: true; service: S; reason: string }
  | { ok: false; path: string; message: string } {
  const versions = svc.versions ?? [];
  if (req.type === 'release-start') {
    const v = req.version ?? trackVersion({ image: req.image });
    const header = req.header ?? (req.weight === undefined ? v : undefined);
    const track: VersionTrack = {
      ...(req.image ? { image: req.image } : { version: req.version }),
      ...(header !== undefined ? { header } : {}),
      ...(req.weight !== undefined ? { weight: req.weight } : {}),
      ...(req.replicas !== undefined ? { replicas: req.replicas } : {}),
    };
    if (versions.some(t => trackVersion(t) === v))
      return {
        ok: false,
        path: req.image ? 'image' : 'version',
        message: `"${v}" is already released beside ${svc.name}'s primary version: change its weight, promote or abort it`,
      };
    if (versions.length >= RELEASE_LIMITS.versions)
      return {
        ok: false,
        path: 'service',
        message: `${svc.name} already runs ${versions.length} versions beside its primary one, the most it may: promote or abort one first`,
      };
    const rule = [
      header !== undefined ? `${VERSION_HEADER}: ${header}` : undefined,
      req.weight !== undefined ? `${req.weight}%` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    return {
      ok: true,
      service: { ...svc, versions: [...versions, track] },
      reason: `release ${svc.name}@${v} (${rule})`,
    };
  }
  const index = versions.findIndex(t => trackVersion(t) === req.version);
  if (index < 0)
    return {
      ok: false,
      path: 'version',
      message: versions.length
        ? `"${req.version}" is not released beside ${
            svc.name
          }'s primary version (released: ${versions
            .map(trackVersion)
            .join(', ')})`
        : `${svc.name} has no release under way: start one with release-start`,
    };
  const track = versions[index];
  const rest = versions.filter((_, i) => i !== index);
  const withVersions = (list: VersionTrack[]): S => {
    const next = { ...svc };
    if (list.length) next.versions = list;
    else delete next.versions;
    return next;
  };
  switch (req.type) {
    case 'release-weight':
      return {
        ok: true,
        service: withVersions(
          versions.map((t, i) =>
            i === index ? { ...t, weight: req.weight } : t,
          ),
        ),
        reason: `weight of ${svc.name}@${req.version}: ${
          track.weight ?? 0
        }% → ${req.weight}%`,
      };
    case 'release-promote': {
      const next = withVersions([]);
      if (track.image) {
        next.image = track.image;
        delete next.version;
      } else {
        next.version = track.version;
        delete next.image;
      }
      if (track.replicas !== undefined) next.replicas = track.replicas;
      return {
        ok: true,
        service: next,
        reason: `promote ${svc.name}@${req.version}${
          rest.length ? ` (and end ${rest.map(trackVersion).join(', ')})` : ''
        }`,
      };
    }
    default:
      return {
        ok: true,
        service: withVersions(rest),
        reason: `abort ${svc.name}@${req.version}`,
      };
  }
}
