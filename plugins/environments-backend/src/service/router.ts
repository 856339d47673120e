import express, { Request, Response } from 'express';
import type {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type { JsonObject } from '@backstage/types';
import {
  environmentCreatePermission,
  environmentDeletePermission,
  environmentLogsReadPermission,
  environmentReadPermission,
  environmentUpdatePermission,
  branchOfRef,
  FieldError,
  describeFieldErrors,
  formatPath,
  normalizeEntityRef,
  operationRequestSchema,
  toFieldErrors,
  validateEnvironmentSpec,
  withNameFromBranch,
} from '@archipelago/plugin-environments-common';
import { PassThrough } from 'node:stream';
import { ValidationError, errorMessage } from '../errors';
import { Access, AnyPermission } from './access';
import {
  DependantsPolicy,
  EnvironmentsService,
  stripInternal,
} from './EnvironmentsService';
import { createOpenApiRouter } from '../schema/openapi';
import { alertSettingsShapeErrors } from '../alerts/api';

export interface RouterOptions {
  service: EnvironmentsService;
  /** Permission checks and their audit, shared with the actions (see access.ts). */
  access: Access;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
}

/** Any of the typed router's requests and responses. */
type AnyRequest = Request<any, any, any, any>;
type AnyResponse = Response<any>;

/** Answers 400 with every field error for a ValidationError; false for any other error. */
function sendValidationError(res: AnyResponse, error: unknown): boolean {
  if (!(error instanceof ValidationError)) return false;
  sendFieldErrors(res, error.message, error.errors);
  return true;
}

/**
 * Answers 400 in Backstage's error response shape (so ResponseError.fromResponse keeps it),
 * plus `errors`: every field with its problem.
 */
function sendFieldErrors(
  res: AnyResponse,
  message: string,
  errors: FieldError[],
) {
  res.status(400).json({
    error: { name: 'InputError', message },
    request: { method: res.req.method, url: res.req.originalUrl },
    response: { statusCode: 400 },
    errors,
  });
}

/** JSON of a value derived once per snapshot (its pod views), made once too. */
const serialized = new WeakMap<object, Buffer>();
function jsonOnce(value: object): Buffer {
  let bytes = serialized.get(value);
  if (!bytes)
    serialized.set(value, (bytes = Buffer.from(JSON.stringify(value))));
  return bytes;
}

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { service, access, httpAuth, auditor } = options;
  // Requests are checked against openapi.yaml before they reach a route (see fieldErrors).
  const router = await createOpenApiRouter({
    // The spec's zod schemas check bodies first: they report every field at once, with the
    // same messages as everywhere else. What passes them also passes openapi.yaml.
    middleware: [express.json({ limit: '1mb' }), checkBodies],
    validatorOptions: {
      // Query strings carry booleans and numbers as text; bodies are never coerced.
      validateRequests: {
        coerceTypes: true,
        allowUnknownQueryParameters: false,
        allErrors: true,
      },
    },
  });

  /** Followed logs open now, per user (this replica's). */
  const followsOf = new Map<string, number>();
  const credentials = (req: AnyRequest) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });
  const actor = access.actor;
  /** Asks the policy; every refusal is audited, like the mutations it stops. */
  const allowed = (
    req: AnyRequest,
    c: BackstageCredentials,
    permission: AnyPermission,
    resourceRef?: string,
  ) => access.allowed(c, permission, resourceRef, req);

  /** The route's own permission: refused, the request answers 403. */
  const authorize = async (
    req: AnyRequest,
    permission: AnyPermission,
    resourceRef?: string,
  ) => {
    const c = await credentials(req);
    await access.authorize(c, permission, resourceRef, req);
    return c;
  };

  /** The caller as the service sees it (see Access.callerOf). */
  const callerOf = (c: BackstageCredentials, req: AnyRequest) =>
    access.callerOf(c, req);

  /** Runs a mutation through the auditor; validation errors answer 400 with every field. */
  const mutation = async (
    req: AnyRequest,
    res: AnyResponse,
    eventId: string,
    meta: JsonObject,
    fn: () => Promise<{ status: number; body: unknown }>,
  ) => {
    const event = await auditor.createEvent({
      eventId,
      request: req,
      severityLevel: 'medium',
      meta,
    });
    try {
      const { status, body } = await fn();
      await event.success({ meta: { status } });
      res.status(status).json(body);
    } catch (error) {
      await event.fail({ error: error as Error });
      if (!sendValidationError(res, error)) throw error;
    }
  };

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/environments', async (req, res) => {
    const c = await credentials(req);
    const q = req.query;
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    // openapi.yaml checks purpose and phase against their enums before this runs.
    const purpose = str(q.purpose);
    let owners = ([] as unknown[])
      .concat(q.owner ?? [])
      .filter(o => typeof o === 'string' && o) as string[];
    if (owners.includes('me')) {
      owners = [
        ...owners.filter(o => o !== 'me'),
        ...(await access.ownershipOf(c).catch(() => [])),
      ];
    }
    let component: string | undefined;
    if (str(q.component)) {
      try {
        component = normalizeEntityRef(str(q.component)!, 'component');
      } catch (e) {
        const error = {
          path: 'component',
          message: `must be an entity ref such as component:default/game (${errorMessage(
            e,
          )})`,
        };
        sendFieldErrors(
          res,
          `Invalid request: ${describeFieldErrors([error])}`,
          [error],
        );
        return;
      }
    }
    const envs = await service.list({
      owners: owners.map(o => o.toLocaleLowerCase('en-US')),
      purpose,
      cluster: str(q.cluster),
      q: str(q.q),
      component,
      branch: str(q.branch) ? branchOfRef(str(q.branch)!) : undefined,
      includeDestroyed: q.includeDestroyed === true,
    });
    let items = await service.views(await access.readable(c, envs));
    const phase = str(q.phase);
    if (phase) items = items.filter(i => i.status.phase === phase);
    res.json({ items });
  });

  router.post('/environments', async (req, res) => {
    const dryRun = req.query.dryRun === true;
    const c = await authorize(req, environmentCreatePermission);
    const caller = await callerOf(c, req);
    if (dryRun) {
      try {
        res.json(await service.dryRun(req.body, caller));
      } catch (error) {
        if (!sendValidationError(res, error)) throw error;
      }
      return;
    }
    await mutation(
      req,
      res,
      'environment-create',
      {
        name: String(req.body?.name ?? ''),
        owner: String(req.body?.owner ?? ''),
      },
      async () => {
        const result = await service.create(req.body, caller);
        return {
          status: 202,
          body: {
            environment: result.environment,
            operation: stripInternal(result.operation),
          },
        };
      },
    );
  });

  // `include` adds what a page shows beside the environment (its topology, its pods) to the
  // same answer: the portal loads a page in one request instead of one per part.
  router.get('/environments/:name', async (req, res) => {
    await authorize(req, environmentReadPermission, req.params.name);
    const env = await service.get(req.params.name);
    const include = new Set([req.query.include ?? []].flat());
    const view = await service.view(env);
    if (!include.size) {
      res.json(view);
      return;
    }
    // Written as bytes: the pods' JSON is made once per snapshot of the namespace (as their
    // views are), so a page's reads of an unchanged environment allocate little beyond its
    // header, and leave the garbage collector alone.
    const included: Buffer[] = [];
    if (include.has('topology')) {
      const topology = await service.topology(env, view.status);
      included.push(Buffer.from(`"topology":${JSON.stringify(topology)}`));
    }
    if (include.has('pods'))
      included.push(
        Buffer.concat([
          Buffer.from('"pods":{"items":'),
          jsonOnce(service.pods(env)),
          Buffer.from('}'),
        ]),
      );
    const head = JSON.stringify(view);
    res.set('Content-Type', 'application/json; charset=utf-8');
    (res as unknown as { send(b: Buffer): void }).send(
      Buffer.concat([
        Buffer.from(`${head.slice(0, -1)},"included":{`),
        ...included.flatMap((part, i) =>
          i ? [Buffer.from(','), part] : [part],
        ),
        Buffer.from('}}'),
      ]),
    );
  });

  // CI's way in (docs/ci.md): create, or change to match, or nothing when it matches. A live
  // environment needs the update permission; a new one, the create permission.
  router.put('/environments/:name', async (req, res) => {
    const name = req.params.name;
    const exists = await service.live(name).then(
      () => true,
      e => {
        if ((e as Error).name === 'NotFoundError') return false;
        throw e;
      },
    );
    const c = exists
      ? await authorize(req, environmentUpdatePermission, name)
      : await authorize(req, environmentCreatePermission);
    const caller = await callerOf(c, req);
    await mutation(
      req,
      res,
      'environment-apply',
      { name, owner: String(req.body?.owner ?? '') },
      async () => {
        const result = await service.apply(name, req.body, caller, () =>
          exists
            ? Promise.resolve(true)
            : allowed(req, c, environmentUpdatePermission, name),
        );
        return {
          status: result.operation ? 202 : 200,
          body: {
            environment: result.environment,
            operation: result.operation
              ? stripInternal(result.operation)
              : null,
            changed: Boolean(result.operation),
          },
        };
      },
    );
  });

  /** Queues an operation on an existing environment: authorise, audit, answer 202. */
  const queueOperation = async (
    req: AnyRequest & { params: { name: string } },
    res: AnyResponse,
    permission: Parameters<typeof authorize>[1],
    eventId: string,
    meta: JsonObject,
    queue: (user: string) => Promise<unknown>,
  ) => {
    const name = req.params.name;
    // An unknown environment is a 404 for everyone, before any permission is asked.
    await service.live(name);
    const user = actor(await authorize(req, permission, name));
    await mutation(req, res, eventId, { name, ...meta }, async () => ({
      status: 202,
      body: stripInternal((await queue(user)) as any),
    }));
  };

  router.delete('/environments/:name', (req, res) =>
    queueOperation(
      req,
      res,
      environmentDeletePermission,
      'environment-destroy',
      {},
      user =>
        service.destroy(req.params.name, user, 'destroy', {
          dependants: req.query.dependants as DependantsPolicy | undefined,
          mayDestroy: async name =>
            allowed(
              req,
              await credentials(req),
              environmentDeletePermission,
              name,
            ),
        }),
    ),
  );
  router.post('/environments/:name/operations', (req, res) =>
    queueOperation(
      req,
      res,
      environmentUpdatePermission,
      'environment-operation',
      { type: String(req.body?.type ?? '') },
      user => service.requestOperation(req.params.name, req.body, user),
    ),
  );

  /** A read of one environment: the read permission, then what `view` makes of it. */
  const environmentView =
    (
      view: (
        env: Awaited<ReturnType<EnvironmentsService['get']>>,
        req: AnyRequest & { params: { name: string; id?: string } },
      ) => Promise<unknown>,
    ) =>
    async (
      req: AnyRequest & { params: { name: string; id?: string } },
      res: AnyResponse,
    ) => {
      await authorize(req, environmentReadPermission, req.params.name);
      res.json(await view(await service.get(req.params.name), req));
    };

  router.get(
    '/environments/:name/operations',
    environmentView(async env => ({ items: await service.operations(env) })),
  );
  router.get(
    '/environments/:name/operations/:id',
    environmentView((env, req) => service.operation(env, req.params.id!)),
  );
  router.get(
    '/environments/:name/revisions',
    environmentView((env, req) =>
      service.revisions(env, {
        limit: req.query.limit as number | undefined,
        before: req.query.before as number | undefined,
      }),
    ),
  );
  router.get(
    '/environments/:name/registry',
    environmentView(env => service.registry(env)),
  );
  router.get(
    '/environments/:name/islands',
    environmentView(async env => ({ items: await service.islands(env) })),
  );
  // The clusters and how this backend sees them (reachable, cached, Service IPs). Names and
  // counts only; it needs a signed-in user or a service.
  router.get('/clusters', async (req, res) => {
    await credentials(req);
    res.json({ items: service.clusters() });
  });
  // Which island holds which ports of a cluster. It names environments, which the catalog
  // shows every signed-in user anyway; it needs a signed-in user or a service.
  router.get('/clusters/:cluster/islands', async (req, res) => {
    await credentials(req);
    res.json(await service.islandLedger(req.params.cluster));
  });

  router.get('/environments/:name/resolve/:service', async (req, res) => {
    await authorize(req, environmentReadPermission, req.params.name);
    res.json(await service.resolve(req.params.name, req.params.service));
  });

  router.get('/environments/:name/pods', async (req, res) => {
    await authorize(req, environmentReadPermission, req.params.name);
    res.json({ items: service.pods(await service.get(req.params.name)) });
  });

  router.get('/environments/:name/config', async (req, res) => {
    await authorize(req, environmentReadPermission, req.params.name);
    res.json(await service.configOf(await service.get(req.params.name)));
  });

  // Alerts (docs/configuration.md#alerts): any reader sees them and may watch; changing the
  // rules and channels takes the update permission.
  router.get('/environments/:name/alerts', async (req, res) => {
    const env = await service.live(req.params.name);
    const c = await authorize(req, environmentReadPermission, env.name);
    res.json(await service.alerts(env, actor(c)));
  });

  router.put('/environments/:name/alerts', async (req, res) => {
    const env = await service.live(req.params.name);
    const user = actor(
      await authorize(req, environmentUpdatePermission, env.name),
    );
    await mutation(
      req,
      res,
      'environment-alerts-update',
      { name: env.name },
      async () => ({
        status: 200,
        body: await service.setAlerts(env, req.body, user),
      }),
    );
  });

  /** Watching is for users: a service principal has no inbox. */
  const watch = async (req: AnyRequest, res: AnyResponse, on: boolean) => {
    const env = await service.live(req.params.name);
    const c = await authorize(req, environmentReadPermission, env.name);
    if ((c.principal as { type: string }).type !== 'user')
      throw new InputError('Only a signed-in user can watch an environment');
    const user = actor(c);
    await mutation(
      req,
      res,
      on ? 'environment-watch' : 'environment-unwatch',
      { name: env.name },
      async () => ({ status: 200, body: await service.watch(env, user, on) }),
    );
  };
  router.put('/environments/:name/alerts/watch', (req, res) =>
    watch(req, res, true),
  );
  router.delete('/environments/:name/alerts/watch', (req, res) =>
    watch(req, res, false),
  );

  router.get('/environments/:name/topology', async (req, res) => {
    await authorize(req, environmentReadPermission, req.params.name);
    res.json(await service.topology(await service.get(req.params.name)));
  });

  router.get('/environments/:name/events', async (req, res) => {
    await authorize(req, environmentReadPermission, req.params.name);
    res.json({ items: service.events(await service.get(req.params.name)) });
  });

  router.get('/environments/:name/pods/:pod/logs', async (req, res) => {
    // An unknown environment is a 404 for everyone, before any permission is asked.
    const env = await service.live(req.params.name);
    await authorize(req, environmentLogsReadPermission, req.params.name);
    const pod = service.pods(env).find(p => p.name === req.params.pod);
    if (!pod) {
      throw new NotFoundError(`No pod ${req.params.pod} in ${env.name}`);
    }
    const num = (key: string, max: number) => {
      const v = (req.query as Record<string, unknown>)[key];
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > max)
        throw new InputError(`${key}: must be a whole number from 0 to ${max}`);
      return n;
    };
    const container = service.logContainer(
      pod,
      typeof req.query.container === 'string' ? req.query.container : undefined,
    );
    const { limits } = service;
    let sinceSeconds = num('sinceSeconds', limits.logSinceSeconds);
    if (typeof req.query.sinceTime === 'string') {
      const t = Date.parse(req.query.sinceTime);
      if (Number.isNaN(t))
        throw new InputError('sinceTime: must be an ISO 8601 date-time');
      sinceSeconds = Math.max(1, Math.ceil((Date.now() - t) / 1000));
      if (sinceSeconds > limits.logSinceSeconds)
        throw new InputError(
          `sinceTime: must be within the last ${limits.logSinceSeconds} seconds (environments.limits.logSince)`,
        );
    }
    const follow = req.query.follow === true;
    const user = actor(await credentials(req));
    if (follow && (followsOf.get(user) ?? 0) >= limits.logFollowsPerUser)
      throw new ConflictError(
        `follow: you already follow ${limits.logFollowsPerUser} logs (environments.limits.logFollowsPerUser); close one first`,
      );
    // Counted at once, before anything is awaited: parallel requests cannot all pass the check.
    if (follow) followsOf.set(user, (followsOf.get(user) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (!follow || released) return;
      released = true;
      const n = (followsOf.get(user) ?? 1) - 1;
      if (n > 0) followsOf.set(user, n);
      else followsOf.delete(user);
    };
    try {
      // Log reads are audited: who read which pod's log.
      await (
        await auditor.createEvent({
          eventId: 'environment-logs-read',
          request: req,
          severityLevel: 'low',
          meta: {
            name: env.name,
            pod: pod.name,
            container,
            follow,
          },
        })
      ).success();
    } catch (e) {
      release();
      throw e;
    }
    // A client that leaves while the API server is being asked must still stop the stream:
    // remember it, and abort as soon as the stream exists.
    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    // Ask the API server first: until it answers, a failure is still an ordinary error
    // response. The stream buffers what arrives before the response is piped.
    const out = new PassThrough();
    const abort = await service
      .streamLogs(env, pod.name, container, out, {
        follow,
        sinceSeconds,
        tailLines: num('tailLines', 100_000),
        previous: req.query.previous === true,
      })
      .catch(e => {
        release();
        throw e;
      });
    if (gone) {
      abort.abort();
      release();
      return;
    }
    // A followed log ends after limits.logFollowSeconds (the portal then says it ended).
    const timer = follow
      ? setTimeout(() => {
          abort.abort();
          out.end();
        }, limits.logFollowSeconds * 1000)
      : undefined;
    timer?.unref?.();
    // Someone following a log is using the environment: sleep/ hears it every minute.
    const using = follow
      ? setInterval(
          () => void service.markUsed(env).catch(() => undefined),
          60_000,
        )
      : undefined;
    using?.unref?.();
    // The response closes when the client goes away (a request's own 'close' fires once its
    // body is read).
    res.on('close', () => {
      if (using) clearInterval(using);
      if (timer) clearTimeout(timer);
      abort.abort();
      release();
    });
    res.status(200).setHeader('Content-Type', 'text/plain; charset=utf-8');
    // no-transform: the backend's compression middleware (and any proxy) must not compress
    // the stream, because a compressor holds followed lines back until its buffer fills.
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    out.pipe(res);
  });

  // Answer the OpenAPI validator's refusals with field errors too.
  router.use(
    (
      error: unknown,
      _req: AnyRequest,
      res: AnyResponse,
      next: express.NextFunction,
    ) => {
      // The JSON body parser's refusals: say which field (the body) and why.
      // (The OpenAPI router passes them on as InputErrors with the parser's message.)
      const parser = (error as { type?: string })?.type;
      if (
        parser === 'entity.too.large' ||
        (error instanceof InputError &&
          /^request entity too large/.test(error.message))
      ) {
        const message = 'body: must be at most 1 MB';
        res.status(413).json({
          error: { name: 'PayloadTooLargeError', message },
          request: { method: res.req.method, url: res.req.originalUrl },
          response: { statusCode: 413 },
          errors: [{ path: 'body', message: 'must be at most 1 MB' }],
        });
        return;
      }
      if (
        parser === 'entity.parse.failed' ||
        parser === 'encoding.unsupported'
      ) {
        const field = {
          path: 'body',
          message: `must be JSON (${errorMessage(error).split('\n')[0]})`,
        };
        sendFieldErrors(res, `Invalid request: body: ${field.message}`, [
          field,
        ]);
        return;
      }
      const errors =
        error instanceof InputError
          ? fieldErrorsFromValidator(error.message) ??
            fieldErrorsFromRequestParser(error.message)
          : undefined;
      if (!errors) {
        next(error);
        return;
      }
      sendFieldErrors(
        res,
        `Invalid request: ${describeFieldErrors(errors)}`,
        errors,
      );
    },
  );

  // A path no route answers: a JSON answer like every other, not the server's empty 404.
  router.use((req: AnyRequest, res: AnyResponse) => {
    res.status(404).json({
      error: {
        name: 'NotFoundError',
        message: `path: no route answers ${req.method} ${req.path}`,
      },
      request: { method: req.method, url: req.originalUrl },
      response: { statusCode: 404 },
    });
  });

  return router;
}

/**
 * The OpenAPI router's own refusals of a request's shape (unknown or empty query parameters,
 * a body that is not JSON) as field errors; undefined for any other message.
 */
export function fieldErrorsFromRequestParser(
  message: string,
): FieldError[] | undefined {
  // The parameter's name is quoted as it came, quotes and all.
  const unknown = /^Unknown query parameter '(.*)'$/s.exec(message);
  if (unknown)
    return [
      { path: unknown[1], message: 'is not a query parameter of this route' },
    ];
  const empty = /^Empty value found for query parameter '(.*)'$/s.exec(message);
  if (empty) return [{ path: empty[1], message: 'must not be empty' }];
  if (/JSON|Unexpected (token|end|non-whitespace)/.test(message))
    return [{ path: 'body', message: `must be JSON (${message})` }];
  return undefined;
}

/** Answers 400 with every field error of an invalid environment spec or operation request. */
/** A path segment decoded, or as it is when it is no valid escape (validation names it). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function checkBodies(
  req: AnyRequest,
  res: AnyResponse,
  next: express.NextFunction,
) {
  const put = /^\/environments\/([^/]+)$/.exec(req.path);
  if (
    (req.method === 'POST' && req.path === '/environments') ||
    (req.method === 'PUT' && put)
  ) {
    // A spec with a branch and no name is named after the branch; PUT's name is its path's.
    const body = req.body;
    const named =
      put && body && typeof body === 'object' && !Array.isArray(body)
        ? { ...body, name: body.name ?? safeDecode(put[1]) }
        : withNameFromBranch(body);
    const parsed = validateEnvironmentSpec(named);
    if (!parsed.success) {
      sendValidationError(res, new ValidationError(parsed.errors));
      return;
    }
  } else if (
    req.method === 'PUT' &&
    /^\/environments\/[^/]+\/alerts$/.test(req.path)
  ) {
    const errors = alertSettingsShapeErrors(req.body);
    if (errors.length) {
      sendValidationError(
        res,
        new ValidationError(errors, 'Invalid alert settings'),
      );
      return;
    }
  } else if (
    req.method === 'POST' &&
    /^\/environments\/[^/]+\/operations$/.test(req.path)
  ) {
    const parsed = operationRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      sendValidationError(
        res,
        new ValidationError(toFieldErrors(parsed.error), 'Invalid operation'),
      );
      return;
    }
  }
  next();
}

/**
 * The OpenAPI validator checks every request before it reaches a route, and reports all its
 * problems in one message: "request/body/services/0/name must be string, request/query/dryRun
 * must be boolean". This turns such a message into field errors ("services[0].name"), like the
 * ones the spec's own validation gives; undefined for any other message.
 */
export function fieldErrorsFromValidator(
  message: string,
): FieldError[] | undefined {
  const errors: FieldError[] = [];
  for (const part of message.split(/, (?=request\/)/)) {
    const m =
      /^request\/(?:body|query|params|path|headers)((?:\/\S+)?) (.+)$/s.exec(
        part,
      );
    if (!m) return undefined;
    const segments: Array<string | number> = m[1]
      .split('/')
      .filter(Boolean)
      .map(s => (/^\d+$/.test(s) ? Number(s) : s));
    let text = m[2];
    const required = /^must have required property '([^']+)'$/.exec(text);
    if (required) {
      segments.push(required[1]);
      text = 'is required';
    }
    errors.push({ path: formatPath(segments), message: text });
  }
  return errors;
}
