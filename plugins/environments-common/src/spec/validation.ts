import { z } from 'zod';
import { BUILT_IN_ENV, normalizeEntityRef } from './primitives';
import { KIND_RULES, checkKind } from './kinds';
import {
  Autoscaling,
  ResolvedVersion,
  tagOf,
  versionOfImage,
  versionSlug,
} from './releases';
import {
  DEFAULT_FAKETIME_LIBRARY,
  ResolvedIslands,
  islandVariables,
  templateProblems,
} from './islands';
import {
  EnvironmentSpec,
  ServiceDefinition,
  ServiceRequest,
  WorkloadKind,
  environmentSpecSchema,
  serviceDefinitionSchema,
} from './schema';

/** One problem with an input, located by its field path ("services[0].version"). */
export interface FieldError {
  path: string;
  message: string;
}

export type ValidationResult<T> =
  | { success: true; value: T }
  | { success: false; errors: FieldError[] };

/** Formats a path array as "services[0].ports[1].name". */
export function formatPath(
  path: ReadonlyArray<PropertyKey>,
  root?: string,
): string {
  let out = root ?? '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/** Turns zod issues into field errors with readable messages. */
export function toFieldErrors(error: z.ZodError, root?: string): FieldError[] {
  return error.issues.map(issue => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      return {
        path: formatPath(issue.path, root),
        message: `has unknown field(s): ${issue.keys.join(', ')}`,
      };
    }
    if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) {
      // A field left out is missing, not of the wrong type.
      message = message.endsWith('received undefined')
        ? 'is required'
        : `must be ${issue.expected}`;
    }
    // A record key that fails its schema: say why it failed, not just "Invalid key".
    if (issue.code === 'invalid_key') {
      const inner = (issue as { issues?: Array<{ message: string }> }).issues;
      if (inner?.length) message = inner.map(i => i.message).join('; ');
    }
    return { path: formatPath(issue.path, root), message };
  });
}

/** Summarises field errors in one line: 'services[0].version: must not be empty; ...'. */
export function describeFieldErrors(errors: FieldError[]): string {
  return errors.map(e => `${e.path}: ${e.message}`).join('; ');
}

export function validateEnvironmentSpec(
  input: unknown,
): ValidationResult<EnvironmentSpec> {
  const parsed = environmentSpecSchema.safeParse(input);
  return parsed.success
    ? { success: true, value: parsed.data }
    : { success: false, errors: toFieldErrors(parsed.error) };
}

export function validateServiceDefinition(
  input: unknown,
  root?: string,
): ValidationResult<ServiceDefinition> {
  const parsed = serviceDefinitionSchema.safeParse(input);
  return parsed.success
    ? { success: true, value: parsed.data }
    : { success: false, errors: toFieldErrors(parsed.error, root) };
}

/**
 * Where a service's env value or config file comes from (seed 001's multi-level
 * configuration): its service definition in the catalog, a base environment that runs the
 * same service (the nearest one that set it), or this environment's own request.
 */
export type ConfigSource =
  | { from: 'definition' }
  | { from: 'base'; environment: string }
  | { from: 'environment' };

/** Where each env value (by name) and config file (by path) of a service comes from. */
export interface ConfigOrigins {
  env: Record<string, ConfigSource>;
  configFiles: Record<string, ConfigSource>;
}

/**
 * What the nearest base environment that runs a service of the same name holds for it, as its
 * current revision pinned it: a dependant's service inherits these, and overrides any of them.
 */
export interface InheritedConfig {
  /** The base environment's name. */
  environment: string;
  env: Record<string, string>;
  configFiles: Array<{ path: string; content: string }>;
  /** Where the base got each value; absent in revisions stored before origins were kept. */
  origins?: ConfigOrigins;
}

/** Finds, by service name, what a base environment holds for it (undefined: no base runs it). */
export type BaseConfigLookup = (service: string) => InheritedConfig | undefined;

/** Merges definition, base and request config, by env name and by file path, with origins. */
export function mergeConfig(
  def:
    | {
        env?: Record<string, string>;
        configFiles?: Array<{ path: string; content: string }>;
      }
    | undefined,
  base: InheritedConfig | undefined,
  req: {
    env?: Record<string, string>;
    configFiles?: Array<{ path: string; content: string }>;
  },
): {
  env: Record<string, string>;
  configFiles: Array<{ path: string; content: string }>;
  origins: ConfigOrigins;
} {
  const own: ConfigSource = { from: 'environment' };
  const definition: ConfigSource = { from: 'definition' };
  // What the base holds is attributed to whoever set it: a base of the base, the base itself,
  // or the definition when this service's own definition says the same.
  const fromBase = (
    got: ConfigSource | undefined,
    sameAsDefinition: boolean,
  ): ConfigSource => {
    if (got?.from === 'base') return got;
    if (got?.from === 'definition' && sameAsDefinition) return definition;
    return { from: 'base', environment: base!.environment };
  };
  const env: Record<string, string> = {};
  const origins: ConfigOrigins = { env: {}, configFiles: {} };
  for (const [k, v] of Object.entries(def?.env ?? {})) {
    env[k] = v;
    origins.env[k] = definition;
  }
  for (const [k, v] of Object.entries(base?.env ?? {})) {
    const same = def?.env?.[k] === v;
    env[k] = v;
    origins.env[k] = fromBase(base?.origins?.env[k], same);
  }
  for (const [k, v] of Object.entries(req.env ?? {})) {
    env[k] = v;
    origins.env[k] = own;
  }
  const files = new Map<string, { path: string; content: string }>();
  for (const f of def?.configFiles ?? []) {
    files.set(f.path, f);
    origins.configFiles[f.path] = definition;
  }
  for (const f of base?.configFiles ?? []) {
    const same =
      def?.configFiles?.find(d => d.path === f.path)?.content === f.content;
    files.set(f.path, f);
    origins.configFiles[f.path] = fromBase(
      base?.origins?.configFiles[f.path],
      same,
    );
  }
  for (const f of req.configFiles ?? []) {
    files.set(f.path, f);
    origins.configFiles[f.path] = own;
  }
  return { env, configFiles: [...files.values()], origins };
}

/** A service with its definition merged in: everything the renderer needs. */
export interface ResolvedService {
  name: string;
  component: string;
  kind: WorkloadKind;
  image: string;
  version: string;
  replicas: number;
  ports: Array<{ name: string; port: number; protocol: 'TCP' | 'UDP' }>;
  env: Record<string, string>;
  configFiles: Array<{ path: string; content: string }>;
  resources?: ServiceRequest['resources'];
  probes?: ServiceRequest['probes'];
  dependsOn: string[];
  command?: string[];
  args?: string[];
  nodeSelector?: Record<string, string>;
  hostAliases?: ServiceRequest['hostAliases'];
  volumes: NonNullable<ServiceRequest['volumes']>;
  schedule?: string;
  ingress?: ServiceRequest['ingress'];
  /** Secret environment variables: each a key of a Secret in the environment's namespace. */
  secrets?: Record<string, { name: string; key: string }>;
  /** From the service definition only: root, and capabilities beyond none. */
  security?: { runAsRoot?: boolean; capabilities?: string[] };
  /** Island services only (kind island): ports, command template, clock, count. */
  island?: ResolvedIslands;
  /** Versions beside the primary one (a gray release), each with its own workload. */
  versions?: ResolvedVersion[];
  /** http services only: an HPA per version owns the replicas. */
  autoscaling?: Autoscaling;
  /**
   * Where each env value and config file comes from (definition, a base, the request); not
   * rendered. Absent in revisions stored before it was kept.
   */
  origins?: ConfigOrigins;
}

/**
 * The Secret Archipelago keeps an environment's secret values in. Requests give a value; the
 * stored spec and every revision hold only this reference to it.
 */
export const MANAGED_SECRET_NAME = 'archipelago-secrets';
export const managedSecretKey = (service: string, variable: string) =>
  `${service}.${variable}`;

/**
 * The spec with each secret value replaced by its reference in the environment's Secret, and
 * the values by Secret key. What is stored and returned is only the first.
 */
export function extractSecretValues(spec: EnvironmentSpec): {
  spec: EnvironmentSpec;
  values: Record<string, string>;
} {
  const values: Record<string, string> = {};
  const services = spec.services.map(svc => {
    if (!svc.secrets) return svc;
    const secrets = Object.fromEntries(
      Object.entries(svc.secrets).map(([name, source]) => {
        if (!('value' in source)) return [name, source];
        const key = managedSecretKey(svc.name, name);
        values[key] = source.value;
        return [name, { secretKeyRef: { name: MANAGED_SECRET_NAME, key } }];
      }),
    );
    return { ...svc, secrets };
  });
  return { spec: { ...spec, services }, values };
}

/** Looks up a component's service definition by normalised entity ref. */
export type ServiceDefinitionLookup = (
  componentRef: string,
) => ServiceDefinition | undefined;

/** The label value a version is known by in the cluster. */
const versionLabel = (v: string) =>
  v.slice(0, 63).replace(/[^A-Za-z0-9_.-]/g, '-');

/**
 * Merges each requested service with its definition: the request wins field by field, env
 * and resources merge key by key. Env values and config files come in three layers, merged by
 * name and by path: the definition's, then what the nearest base environment running the same
 * service holds (`bases`, unless the request sets inheritConfig: false), then the request's.
 * Reports, by field path, anything still missing.
 */
export function resolveServices(
  spec: EnvironmentSpec,
  lookup: ServiceDefinitionLookup,
  bases?: BaseConfigLookup,
): ValidationResult<ResolvedService[]> {
  const errors: FieldError[] = [];
  const resolved: ResolvedService[] = [];
  spec.services.forEach((req, i) => {
    const at = (field?: string) => `services[${i}]${field ? `.${field}` : ''}`;
    const component = normalizeEntityRef(
      req.component ?? req.name,
      'component',
    );
    const def = lookup(component);
    let img: string | undefined;
    let ver: string | undefined;
    if (req.image && req.version) {
      errors.push({
        path: at('version'),
        message:
          'cannot be given together with image: the image names its own version (its tag)',
      });
    }
    if (req.image) {
      img = req.image;
      ver = req.version ?? tagOf(req.image) ?? 'custom';
    } else if (def) {
      ver = req.version ?? def.defaultVersion;
      if (!ver) {
        errors.push({
          path: at('version'),
          message: `is required: ${component} has no defaultVersion`,
        });
      } else {
        img = `${def.image}:${ver}`;
      }
    } else {
      errors.push({
        path: at(),
        message: `has no image, and ${component} has no service definition in the catalog (annotation archipelago.dev/service-definition)`,
      });
      // Without an image or a definition there is nothing more to check meaningfully.
      return;
    }
    const kind = req.kind ?? def?.kind ?? 'http';
    const ports = (req.ports ?? def?.ports ?? []).map(p => ({
      ...p,
      protocol: p.protocol ?? ('TCP' as const),
    }));
    const schedule = req.schedule ?? def?.schedule;
    const ingress = req.ingress ?? def?.ingress;
    const volumes = req.volumes ?? def?.volumes ?? [];
    const autoscaling = req.autoscaling ?? def?.autoscaling;
    for (const p of checkKind(
      kind,
      {
        ports,
        schedule,
        ingress,
        volumes,
        versions: req.versions,
        autoscaling,
      },
      !!req.schedule,
    ))
      errors.push({ path: at(p.field), message: p.message });
    const island = resolveIslands(kind, req, def, at, errors);
    const portNames = new Set(ports.map(p => p.name));
    if (portNames.size !== ports.length) {
      errors.push({ path: at('ports'), message: 'must have unique names' });
    }
    if (new Set(volumes.map(v => v.name)).size !== volumes.length) {
      errors.push({ path: at('volumes'), message: 'must have unique names' });
    }
    const inherited =
      req.inheritConfig === false ? undefined : bases?.(req.name);
    const config = mergeConfig(def, inherited, req);
    const env = config.env;
    const secrets: Record<string, { name: string; key: string }> = {};
    for (const [name, source] of Object.entries({
      ...def?.secrets,
      ...req.secrets,
    })) {
      secrets[name] =
        'value' in source && source.value !== undefined
          ? { name: MANAGED_SECRET_NAME, key: managedSecretKey(req.name, name) }
          : (source as { secretKeyRef: { name: string; key: string } })
              .secretKeyRef;
    }
    // A secret the request names takes over a plain value of that name from a lower layer
    // (the definition or a base): only the request's own env and secrets can clash.
    for (const name of Object.keys(req.secrets ?? {})) {
      if (name in env && config.origins.env[name]?.from !== 'environment') {
        delete env[name];
        delete config.origins.env[name];
      }
    }
    const builtIn = (name: string) =>
      (BUILT_IN_ENV as readonly string[]).includes(name);
    const setByUs = `is set by Archipelago in every container (${BUILT_IN_ENV.join(
      ', ',
    )})`;
    for (const name of Object.keys(env)) {
      if (builtIn(name))
        errors.push({ path: at(`env.${name}`), message: setByUs });
    }
    if (island) {
      const islandVars = islandVariables(island.ports);
      for (const [field, names] of [
        ['env', Object.keys(env)],
        ['secrets', Object.keys(secrets)],
      ] as const)
        for (const name of names)
          if (islandVars.includes(name))
            errors.push({
              path: at(`${field}.${name}`),
              message: `is set by Archipelago in every island (${islandVars.join(
                ', ',
              )})`,
            });
    }
    for (const name of Object.keys(secrets)) {
      if (builtIn(name))
        errors.push({ path: at(`secrets.${name}`), message: setByUs });
      else if (name in env)
        errors.push({
          path: at(`secrets.${name}`),
          message: 'is also a plain env variable of this service',
        });
    }
    const portNumbers = ports.map(p => `${p.port}/${p.protocol}`);
    if (new Set(portNumbers).size !== portNumbers.length)
      errors.push({
        path: at('ports'),
        message: 'must have unique port numbers',
      });
    const configFiles = config.configFiles;
    const seenPaths = new Map<string, number>();
    (req.configFiles ?? []).forEach((f, j) => {
      const first = seenPaths.get(f.path);
      if (first !== undefined)
        errors.push({
          path: at(`configFiles[${j}].path`),
          message: `duplicates configFiles[${first}].path "${f.path}"`,
        });
      else seenPaths.set(f.path, j);
    });
    const mountPaths = new Set(volumes.map(v => v.mountPath));
    configFiles.forEach(f => {
      if (!mountPaths.has(f.path)) return;
      // The request's own file by its index; an inherited one by where it comes from.
      const j = (req.configFiles ?? []).findIndex(r => r.path === f.path);
      const source = config.origins.configFiles[f.path];
      errors.push(
        j >= 0
          ? {
              path: at(`configFiles[${j}].path`),
              message: `"${f.path}" is also the mountPath of a volume`,
            }
          : {
              path: at('volumes'),
              message: `a mountPath is "${f.path}", a config file ${
                source?.from === 'base'
                  ? `inherited from base environment ${source.environment} (set inheritConfig: false, or mount elsewhere)`
                  : 'of the service definition'
              }`,
            },
      );
    });
    const configBytes = configFiles.reduce(
      (n, f) => n + Buffer.byteLength(f.content, 'utf8'),
      0,
    );
    if (configBytes > 256 * 1024) {
      const inheritedBytes = configFiles
        .filter(f => config.origins.configFiles[f.path]?.from === 'base')
        .reduce((n, f) => n + Buffer.byteLength(f.content, 'utf8'), 0);
      errors.push({
        path: at('configFiles'),
        message: `must total at most 256KiB${
          inheritedBytes
            ? `, with the ${Math.ceil(
                inheritedBytes / 1024,
              )}KiB inherited from base environment ${
                inherited!.environment
              } (set inheritConfig: false, or leave some of its files out)`
            : ''
        }`,
      });
    }
    if (req.autoscaling && req.replicas !== undefined)
      errors.push({
        path: at('replicas'),
        message:
          'cannot be given with autoscaling: the autoscaler sets the replicas between autoscaling.min and max',
      });
    const versions =
      img && ver
        ? resolveVersions(
            kind,
            req,
            def,
            { image: img, version: ver, ports, autoscaling },
            volumes,
            at,
            errors,
          )
        : undefined;
    if (img && ver) {
      resolved.push({
        name: req.name,
        component,
        kind,
        image: img,
        version: versionLabel(ver),
        replicas: island ? 0 : req.replicas ?? def?.replicas ?? 1,
        ports,
        env,
        ...(Object.keys(secrets).length ? { secrets } : {}),
        configFiles,
        resources: mergeResources(def?.resources, req.resources),
        probes: req.probes ?? def?.probes,
        dependsOn: req.dependsOn ?? def?.dependsOn ?? [],
        command: req.command ?? def?.command,
        args: req.args ?? def?.args,
        nodeSelector: req.nodeSelector ?? def?.nodeSelector,
        hostAliases: req.hostAliases ?? def?.hostAliases,
        volumes,
        schedule,
        ingress,
        // A definition's security settings belong to its own image and command: a request
        // that swaps either runs something else, which gets none of them.
        ...(def?.security &&
        !req.image &&
        !req.command &&
        !req.args &&
        !req.island?.command
          ? { security: def.security }
          : {}),
        ...(island ? { island } : {}),
        ...(versions?.length ? { versions } : {}),
        ...(autoscaling && KIND_RULES[kind].autoscaling ? { autoscaling } : {}),
        origins: config.origins,
      });
    }
  });
  return errors.length
    ? { success: false, errors }
    : { success: true, value: resolved };
}

/** The versions beside the primary one, each with its image, checked against each other. */
function resolveVersions(
  kind: WorkloadKind,
  req: ServiceRequest,
  def: ServiceDefinition | undefined,
  primary: {
    image: string;
    version: string;
    ports: unknown[];
    autoscaling?: Autoscaling;
  },
  volumes: NonNullable<ServiceRequest['volumes']>,
  at: (field?: string) => string,
  errors: FieldError[],
): ResolvedVersion[] | undefined {
  if (!req.versions?.length || !KIND_RULES[kind].releases) return undefined;
  if (kind !== 'http' && volumes.some(v => v.type === 'persistent')) {
    errors.push({
      path: at('versions'),
      message: `cannot run beside each other on a ${kind} service with persistent volumes: each version would get empty claims of its own. Deploy the new version instead; it keeps the claims`,
    });
    return undefined;
  }
  // Without a definition, a version's image is the primary image's repository at its tag.
  const repository =
    def?.image ?? primary.image.split('@')[0].replace(/:[^:/]+$/, '');
  const primaryVersion = versionLabel(primary.version);
  const seen = new Map<string, string>([
    [versionSlug(primaryVersion), 'the primary version'],
  ]);
  const headers = new Map<string, number>();
  const out: ResolvedVersion[] = [];
  req.versions.forEach((t, j) => {
    const field = (f: string) => at(`versions[${j}].${f}`);
    const image = t.image ?? `${repository}:${t.version}`;
    const v = versionLabel(t.version ?? versionOfImage(t.image ?? ''));
    const slug = versionSlug(v);
    const clash = seen.get(slug);
    if (clash)
      errors.push({
        path: field(t.image ? 'image' : 'version'),
        message: `"${v}" is already running as ${clash}`,
      });
    seen.set(slug, `versions[${j}]`);
    if (t.header !== undefined) {
      const other = headers.get(t.header);
      if (other !== undefined)
        errors.push({
          path: field('header'),
          message: `"${t.header}" is also versions[${other}].header`,
        });
      headers.set(t.header, j);
    }
    if (t.header === primaryVersion)
      errors.push({
        path: field('header'),
        message: `"${t.header}" is the primary version: its clients would go to ${v}. Give the header of the clients that should (by default the new version itself)`,
      });
    if (primary.autoscaling && t.replicas !== undefined)
      errors.push({
        path: field('replicas'),
        message:
          "cannot be given with autoscaling: the autoscaler sets each version's replicas between autoscaling.min and max",
      });
    const replicas = t.replicas ?? req.replicas ?? def?.replicas ?? 1;
    if (
      !primary.autoscaling &&
      replicas === 0 &&
      ((t.weight ?? 0) > 0 || t.header !== undefined)
    )
      errors.push({
        path: field('replicas'),
        message:
          'is 0, but the version takes traffic (a weight or a header): give it replicas, or no traffic',
      });
    if (!primary.ports.length && (t.weight ?? 0) > 0)
      errors.push({
        path: field('weight'),
        message: `routes nothing: a ${kind} service without ports has no route, and its callers pick the version themselves (each pod's VERSION); leave the weight out`,
      });
    out.push({
      version: v,
      image,
      replicas,
      weight: t.weight ?? 0,
      ...(t.header !== undefined ? { header: t.header } : {}),
    });
  });
  const total = out.reduce((n, t) => n + t.weight, 0);
  if (total > 100)
    errors.push({
      path: at(`versions[${out.length - 1}].weight`),
      message: `makes the versions' weights add up to ${total}%, more than 100%`,
    });
  return out;
}

/** The island settings of an island service (definition, then request), checked. */
function resolveIslands(
  kind: WorkloadKind,
  req: ServiceRequest,
  def: ServiceDefinition | undefined,
  at: (field?: string) => string,
  errors: FieldError[],
): ResolvedIslands | undefined {
  const settings = { ...def?.island, ...req.island };
  if (kind !== 'island') {
    if (req.island)
      errors.push({
        path: at('island'),
        message: 'is only for island services',
      });
    else if (def?.island)
      errors.push({
        path: at('kind'),
        message: `is "${kind}", but the service definition declares island settings: it is an island service (kind island)`,
      });
    return undefined;
  }
  const before = errors.length;
  if ((req.ports ?? def?.ports ?? []).length)
    errors.push({
      path: at('ports'),
      message:
        "is not for island services: name the ports in island.ports, and each island gets its numbers from the cluster's island range",
    });
  if (req.replicas !== undefined)
    errors.push({
      path: at('replicas'),
      message: 'is not for island services: give island.count',
    });
  if (req.command || def?.command)
    errors.push({
      path: at('command'),
      message:
        'is not for island services: give island.command, a template with {{id}}, {{port:NAME}} and {{clock}}',
    });
  const ports = settings.ports ?? [];
  if (!ports.length)
    errors.push({
      path: at('island.ports'),
      message:
        'is required for an island service (none in the request or the definition)',
    });
  if (new Set(ports).size !== ports.length)
    errors.push({
      path: at('island.ports'),
      message: 'must have unique names',
    });
  const readinessPort = settings.readinessPort ?? ports[ports.length - 1];
  if (settings.readinessPort && !ports.includes(settings.readinessPort))
    errors.push({
      path: at('island.readinessPort'),
      message: `"${settings.readinessPort}" is not one of island.ports`,
    });
  for (const p of templateProblems(settings.command ?? [], ports))
    errors.push({ path: at(`island.command[${p.index}]`), message: p.message });
  if (errors.length > before) return undefined;
  return {
    count: settings.count ?? 0,
    ports,
    readinessPort,
    ...(settings.command ? { command: settings.command } : {}),
    faketimeLibrary: settings.faketimeLibrary ?? DEFAULT_FAKETIME_LIBRARY,
    ...(settings.clock ? { clock: settings.clock } : {}),
  };
}

function mergeResources(
  a: ServiceRequest['resources'],
  b: ServiceRequest['resources'],
): ServiceRequest['resources'] {
  if (!a && !b) return undefined;
  return {
    requests: { ...a?.requests, ...b?.requests },
    limits: { ...a?.limits, ...b?.limits },
  };
}
