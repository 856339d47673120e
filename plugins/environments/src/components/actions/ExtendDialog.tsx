import { useEffect, useState } from 'react';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  operationRequestSchema,
  toFieldErrors,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { useFormat } from '../../hooks/useFormat';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';
import { OperationDialog, useOperationDialog } from './OperationDialog';

const CHOICES = ['4h', '1d', '3d', '1w'];
const CUSTOM = 'custom';

/** Extends an environment's lifetime by a duration, checked with the backend's schema. */
export function ExtendDialog(props: { open: boolean; onClose: () => void }) {
  const { open, onClose } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const { name, value: env } = useEnvironmentContext();
  const { request, busy, message, setMessage, send } =
    useOperationDialog(onClose);
  const [choice, setChoice] = useState('1d');
  const [custom, setCustom] = useState('');
  const [fieldError, setFieldError] = useState<string>();

  useEffect(() => {
    if (open) {
      setChoice('1d');
      setCustom('');
      setFieldError(undefined);
      setMessage(undefined);
    }
  }, [open, setMessage]);

  const submit = async () => {
    const ttl = choice === CUSTOM ? custom.trim() : choice;
    const parsed = operationRequestSchema.safeParse({ type: 'extend', ttl });
    if (!parsed.success) {
      setFieldError(toFieldErrors(parsed.error)[0]?.message);
      return;
    }
    const refusal = await send(request(parsed.data));
    if (refusal)
      setFieldError(refusal.fields.find(f => f.path === 'ttl')?.message);
  };

  return (
    <OperationDialog
      open={open}
      onClose={onClose}
      maxWidth="xs"
      title={t('extend.title', { name })}
      intro={t('extend.intro', {
        expires: env?.expiresAt
          ? format.relative(env.expiresAt)
          : t('time.never'),
      })}
      refusal={message}
      submit={{ label: t('extend.submit'), onClick: submit, disabled: busy }}
    >
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
    </OperationDialog>
  );
}
