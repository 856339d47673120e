import { useEffect, useState } from 'react';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';
import { useOperationRunner } from './useOperationRunner';
import { RefusalMessage } from './RefusalMessage';
import { DialogButtons } from './DialogButtons';

/** Destroys an environment once its name has been typed. */
export function DestroyDialog(props: { open: boolean; onClose: () => void }) {
  const { open, onClose } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const { name, value: env } = useEnvironmentContext();
  const { run, busy } = useOperationRunner();
  const [typed, setTyped] = useState('');
  const [message, setMessage] = useState<string>();

  useEffect(() => {
    if (open) {
      setTyped('');
      setMessage(undefined);
    }
  }, [open]);

  const matches = typed.trim() === name;
  const submit = async () => {
    if (!matches) return;
    const refusal = await run('destroy', () => api.destroyEnvironment(name));
    if (!refusal) onClose();
    else setMessage(refusal.message);
  };

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>{t('destroy.title', { name })}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          {t('destroy.intro', { namespace: env?.namespace ?? name })}
        </DialogContentText>
        <RefusalMessage message={message} />
        <TextField
          id="destroy-confirm"
          label={t('destroy.confirm', { name })}
          value={typed}
          onChange={e => setTyped(e.target.value)}
          onKeyDown={e => {
            if (e.key === 'Enter') void submit();
          }}
          error={typed.length > 0 && !matches}
          helperText={
            typed.length > 0 && !matches ? t('destroy.mismatch') : ' '
          }
          fullWidth
          margin="dense"
          variant="outlined"
          inputProps={{ autoComplete: 'off', spellCheck: false }}
        />
      </DialogContent>
      <DialogButtons
        onCancel={onClose}
        onSubmit={submit}
        submitLabel={t('destroy.submit')}
        disabled={!matches || busy}
        color="secondary"
      />
    </Dialog>
  );
}
