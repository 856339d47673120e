import { useEffect, useState } from 'react';
import TextField from '@material-ui/core/TextField';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  FieldError,
  operationRequestSchema,
  toFieldErrors,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';
import { OperationDialog, useOperationDialog } from './OperationDialog';

/**
 * Deploys new versions: a field per service (or just the one asked for). The request is checked
 * with the backend's own schema before it is sent, and what the backend refuses is shown next
 * to the field it names. Nothing changes unless the whole request is valid.
 */
export function DeployDialog(props: {
  open: boolean;
  onClose: () => void;
  /** Only this service; all of them when left out. */
  service?: string;
}) {
  const { open, onClose, service } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { value: env } = useEnvironmentContext();
  const { request, busy, message, setMessage, send } =
    useOperationDialog(onClose);
  const [versions, setVersions] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});

  useEffect(() => {
    if (open) {
      setVersions({});
      setErrors({});
      setMessage(undefined);
    }
  }, [open, service, setMessage]);

  const services = (env?.spec.services ?? []).filter(
    s => !service || s.name === service,
  );

  const submit = async () => {
    const chosen = services
      .map(s => ({ name: s.name, version: (versions[s.name] ?? '').trim() }))
      .filter(s => s.version);
    if (chosen.length === 0) {
      setMessage(t('deploy.nothing'));
      return;
    }
    const body = { type: 'deploy' as const, services: chosen };
    // services[i] in an error is the i-th chosen service.
    const byField = (list: FieldError[]) => {
      const out: Record<string, string> = {};
      for (const e of list) {
        const m = /^services\[(\d+)\]/.exec(e.path);
        const s = m ? chosen[Number(m[1])]?.name : undefined;
        if (s) out[s] = e.message;
      }
      return out;
    };
    const parsed = operationRequestSchema.safeParse(body);
    if (!parsed.success) {
      const fields = toFieldErrors(parsed.error);
      setErrors(byField(fields));
      setMessage(undefined);
      return;
    }
    const refusal = await send(request(parsed.data));
    if (refusal) setErrors(byField(refusal.fields));
  };

  return (
    <OperationDialog
      open={open}
      onClose={onClose}
      maxWidth="sm"
      title={
        service ? t('deploy.titleService', { service }) : t('deploy.title')
      }
      intro={t('deploy.intro')}
      refusal={message}
      submit={{ label: t('deploy.submit'), onClick: submit, disabled: busy }}
    >
      {services.map(s => (
        <TextField
          key={s.name}
          id={`deploy-version-${s.name}`}
          label={t('deploy.version', { service: s.name })}
          placeholder={s.version ?? s.image ?? ''}
          helperText={
            errors[s.name] ??
            t('deploy.current', { version: s.version ?? s.image ?? '?' })
          }
          error={!!errors[s.name]}
          value={versions[s.name] ?? ''}
          onChange={e => {
            const value = e.target.value;
            setVersions(v => ({ ...v, [s.name]: value }));
          }}
          onKeyDown={e => {
            if (e.key === 'Enter') void submit();
          }}
          fullWidth
          margin="dense"
          variant="outlined"
        />
      ))}
    </OperationDialog>
  );
}
