import { useEffect, useState } from 'react';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  operationRequestSchema,
  toFieldErrors,
} from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useFormat } from '../../hooks/useFormat';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';
import { useOperationRunner } from './useOperationRunner';
import { RefusalMessage } from './RefusalMessage';
import { DialogButtons } from './DialogButtons';

const CHOICES = ['4h', '1d', '3d', '1w'];
const CUSTOM = 'custom';

/** Extends an environment's lifetime by a duration, checked with the backend's schema. */
export function ExtendDialog(props: { open: boolean; onClose: () => void }) {
  const { open, onClose } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const format = useFormat();
  const { name, value: env } = useEnvironmentContext();
  const { run, busy } = useOperationRunner();
  const [choice, setChoice] = useState('1d');
  const [custom, setCustom] = useState('');
  const [fieldError, setFieldError] = useState<string>();
  const [message, setMessage] = useState<string>();

  useEffect(() => {
    if (open) {
      setChoice('1d');
      setCustom('');
      setFieldError(undefined);
      setMessage(undefined);
    }
  }, [open]);

  const submit = async () => {
    const ttl = choice === CUSTOM ? custom.trim() : choice;
    const parsed = operationRequestSchema.safeParse({ type: 'extend', ttl });
    if (!parsed.success) {
      setFieldError(toFieldErrors(parsed.error)[0]?.message);
      return;
    }
    const refusal = await run('extend', () =>
      api.requestOperation(name, parsed.data),
    );
    if (!refusal) {
      onClose();
      return;
    }
    setFieldError(refusal.fields.find(f => f.path === 'ttl')?.message);
    setMessage(refusal.message);
  };

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>{t('extend.title', { name })}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          {t('extend.intro', {
            expires: env?.expiresAt
              ? format.relative(env.expiresAt)
              : t('time.never'),
          })}
        </DialogContentText>
        <RefusalMessage message={message} />
        <RadioGroup
          aria-label={t('extend.ttl')}
          value={choice}
          onChange={e => setChoice(e.target.value)}
        >
          {CHOICES.map(c => (
            <FormControlLabel key={c} value={c} control={<Radio />} label={c} />
          ))}
          <FormControlLabel
            value={CUSTOM}
            control={<Radio />}
            label={t('extend.custom')}
          />
        </RadioGroup>
        {choice === CUSTOM && (
          <TextField
            id="extend-ttl"
            label={t('extend.ttl')}
            value={custom}
            onChange={e => setCustom(e.target.value)}
            error={!!fieldError}
            helperText={fieldError ?? t('extend.customHelp')}
            fullWidth
            margin="dense"
            variant="outlined"
          />
        )}
        {choice !== CUSTOM && fieldError && (
          <Typography color="error" variant="body2">
            ttl: {fieldError}
          </Typography>
        )}
        <Typography variant="caption" color="textSecondary">
          {t('extend.limit')}
        </Typography>
      </DialogContent>
      <DialogButtons
        onCancel={onClose}
        onSubmit={submit}
        submitLabel={t('extend.submit')}
        disabled={busy}
      />
    </Dialog>
  );
}
