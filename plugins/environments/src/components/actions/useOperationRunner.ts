import { useCallback, useState } from 'react';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { ResponseError } from '@backstage/errors';
import type {
  FieldError,
  Operation,
  OperationRequest,
  OperationType,
} from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';

/** What a refused request said: its message and, for invalid input, every field's problem. */
export interface Refusal {
  message: string;
  fields: FieldError[];
}

export function refusalOf(error: unknown): Refusal {
  if (error instanceof ResponseError) {
    const body = error.body as { errors?: FieldError[] } | undefined;
    return {
      message: error.body?.error?.message ?? error.message,
      fields: Array.isArray(body?.errors) ? body!.errors : [],
    };
  }
  return { message: String((error as Error)?.message ?? error), fields: [] };
}

export interface RunOptions {
  /** Also show a refusal as an alert. */
  alertOnRefusal?: boolean;
}

/**
 * Sends a mutation and follows its operation: the page's operation banner shows its steps and
 * outcome, and the environment loads again at once. A refusal is returned to the caller (a
 * dialog shows it next to its fields) and, when asked, also shown as an alert. `request` sends
 * an operation request for this environment.
 */
export function useOperationRunner() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const alertApi = useApi(alertApiRef);
  const api = useApi(environmentsApiRef);
  const { name, track, refresh } = useEnvironmentContext();
  const [busy, setBusy] = useState(false);

  const run = useCallback(
    async (
      type: OperationType,
      send: () => Promise<Operation>,
      options: RunOptions = {},
    ): Promise<Refusal | undefined> => {
      setBusy(true);
      try {
        const op = await send();
        track(op.id);
        refresh();
        return undefined;
      } catch (error) {
        const refusal = refusalOf(error);
        if (options.alertOnRefusal) {
          alertApi.post({
            message: t('actions.refused', {
              type: t(`operationType.${type}`),
              error: refusal.message,
            }),
            severity: 'error',
            display: 'transient',
          });
        }
        return refusal;
      } finally {
        setBusy(false);
      }
    },
    [alertApi, refresh, t, track],
  );

  const request = useCallback(
    (body: OperationRequest, options?: RunOptions) =>
      run(body.type, () => api.requestOperation(name, body), options),
    [api, name, run],
  );

  return { run, request, busy };
}
