import { z } from 'zod';
import { LIMITS, duration, image, serviceName, version } from './primitives';
import { ISLAND_LIMITS, clockSchema } from './islands';
import {
  headerValue,
  versionOrImage,
  versionReplicas,
  weight,
} from './releases';

const islandId = z
  .number({ error: 'must be an island id (a number)' })
  .int()
  .min(1);

const serviceList = z
  .array(serviceName)
  .min(1, 'must name at least one service, or be left out to mean all')
  .max(LIMITS.services)
  .superRefine((list, ctx) => {
    list.forEach((name, i) => {
      const first = list.indexOf(name);
      if (first !== i)
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `duplicates services[${first}] "${name}"`,
        });
    });
  })
  .optional();

/** The body of POST /environments/:name/operations. */
export const operationRequestSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('deploy'),
      services: z
        .array(
          z
            .object({
              name: serviceName,
              version: version.optional(),
              image: image.optional(),
            })
            .strict()
            .refine(s => s.version || s.image, 'needs a version or an image')
            .refine(
              s => !(s.version && s.image),
              'takes a version or an image, not both (an image names its own tag)',
            ),
        )
        .min(1, 'must name at least one service')
        .max(LIMITS.services)
        .superRefine((list, ctx) => {
          const first = new Map<string, number>();
          list.forEach((s, i) => {
            if (first.has(s.name))
              ctx.addIssue({
                code: 'custom',
                path: [i, 'name'],
                message: `duplicates services[${first.get(s.name)}].name "${
                  s.name
                }"`,
              });
            else first.set(s.name, i);
          });
        }),
    })
    .strict(),
  z.object({ type: z.literal('stop'), services: serviceList }).strict(),
  z.object({ type: z.literal('start'), services: serviceList }).strict(),
  z.object({ type: z.literal('restart'), services: serviceList }).strict(),
  z
    .object({ type: z.literal('rollback'), revision: z.number().int().min(1) })
    .strict(),
  z.object({ type: z.literal('extend'), ttl: duration }).strict(),
  /** Adds islands to an island service, each with its own id and host ports. */
  z
    .object({
      type: z.literal('island-add'),
      service: serviceName,
      count: z.number().int().min(1).max(ISLAND_LIMITS.perRequest),
    })
    .strict(),
  /**
   * Starts a gray release: the version runs beside the service's current one, reached by a
   * Version header, a weight, or both (a header equal to the version when neither is given).
   */
  versionOrImage(
    z
      .object({
        type: z.literal('release-start'),
        service: serviceName,
        version: version.optional(),
        image: image.optional(),
        header: headerValue.optional(),
        weight: weight.optional(),
        replicas: versionReplicas.optional(),
      })
      .strict(),
  ),
  /** Sets the share of traffic (no header rule) a released version takes. */
  z
    .object({
      type: z.literal('release-weight'),
      service: serviceName,
      version,
      weight,
    })
    .strict(),
  /** The released version becomes the only one; the others drain and go. */
  z
    .object({
      type: z.literal('release-promote'),
      service: serviceName,
      version,
    })
    .strict(),
  /** The released version goes; the others stay as they are. */
  z
    .object({ type: z.literal('release-abort'), service: serviceName, version })
    .strict(),
  z.object({ type: z.literal('island-stop'), island: islandId }).strict(),
  z.object({ type: z.literal('island-start'), island: islandId }).strict(),
  /** Recreates the island's Pod, with the same id and ports. */
  z.object({ type: z.literal('island-restart'), island: islandId }).strict(),
  /** Removes the island; its ports go back to the pool once its Pod is gone. */
  z.object({ type: z.literal('island-remove'), island: islandId }).strict(),
  /**
   * Sets the environment's clock, or one island's (null: the island follows the
   * environment again). No restart: libfaketime reads the change within seconds.
   */
  z
    .object({
      type: z.literal('clock'),
      clock: clockSchema.nullable(),
      island: islandId.optional(),
    })
    .strict()
    .refine(o => o.clock !== null || o.island !== undefined, {
      path: ['island'],
      message:
        'is required with clock: null, which lets an island follow the environment again',
    }),
]);
export type OperationRequest = z.infer<typeof operationRequestSchema>;
