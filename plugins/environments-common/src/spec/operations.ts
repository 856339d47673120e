import { z } from 'zod';
import { LIMITS, duration, image, serviceName, version } from './primitives';

const serviceList = z
  .array(serviceName)
  .min(1, 'must name at least one service, or be left out to mean all')
  .max(LIMITS.services)
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
]);
export type OperationRequest = z.infer<typeof operationRequestSchema>;
