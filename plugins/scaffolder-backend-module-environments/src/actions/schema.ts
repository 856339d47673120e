/*
 * Schema fragments the actions share, in createTemplateAction's form: functions of the zod
 * that the scaffolder passes in.
 */
import type { z as zod } from 'zod/v3';

/**
 * The inputs of an action that follows its operation: whether to wait, and for how long. The
 * handlers fill in the same defaults, which the scaffolder does not.
 */
export function waitInputs(
  waitDescription: string,
  timeoutDescription = 'How long to wait',
) {
  return {
    wait: (z: typeof zod) =>
      z.boolean().default(true).describe(waitDescription),
    timeoutMinutes: (z: typeof zod) =>
      z.number().min(1).max(120).default(15).describe(timeoutDescription),
  };
}

/** The outputs of an action on an existing environment: its phase at the end, and its page. */
export const phaseOutputs = {
  status: (z: typeof zod) =>
    z.string().describe('The environment phase at the end'),
  url: (z: typeof zod) => z.string().describe('The environment page'),
};
