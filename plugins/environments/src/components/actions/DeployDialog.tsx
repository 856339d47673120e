import { useEffect, useState } from 'react';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  FieldError,
  operationRequestSchema,
  toFieldErrors,
} from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';
import { useOperationRunner } from './useOperationRunner';
import { RefusalMessage } from './RefusalMessage';
import { DialogButtons } from './DialogButtons';

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
  const api = useApi(environmentsApiRef);
  const { name, value: env } = useEnvironmentContext();
  const { run, busy } = useOperationRunner();
  const [versions, setVersions] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string>();

  useEffect(() => {
    if (open) {
      setVersions({});
      setErrors({});
      setMessage(undefined);
    }
  }, [open, service]);

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
    const refusal = await run('deploy', () =>
      api.requestOperation(name, parsed.data),
    );
    if (!refusal) {
      onClose();
      return;
    }
    setErrors(byField(refusal.fields));
    setMessage(refusal.message);
  };

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>
        {service ? t('deploy.titleService', { service }) : t('deploy.title')}
      </DialogTitle>
      <DialogContent>
        <DialogContentText>{t('deploy.intro')}</DialogContentText>
        <RefusalMessage message={message} />
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
      </DialogContent>
      <DialogButtons
        onCancel={onClose}
        onSubmit={submit}
        submitLabel={t('deploy.submit')}
        disabled={busy}
      />
    </Dialog>
  );
}
