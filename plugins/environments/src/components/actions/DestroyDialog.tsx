import { useEffect, useState } from 'react';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';
import { OperationDialog, useOperationDialog } from './OperationDialog';

/** Destroys an environment once its name has been typed. */
export function DestroyDialog(props: { open: boolean; onClose: () => void }) {
  const { open, onClose } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const { name, value: env } = useEnvironmentContext();
  const { run, busy, message, setMessage, send } = useOperationDialog(onClose);
  const [typed, setTyped] = useState('');
  const [dependants, setDependants] = useState<'refuse' | 'orphan' | 'destroy'>(
    'refuse',
  );

  useEffect(() => {
    if (open) {
      setTyped('');
      setDependants('refuse');
      setMessage(undefined);
    }
  }, [open, setMessage]);

  const matches = typed.trim() === name;
  const submit = async () => {
    if (!matches) return;
    await send(
      run('destroy', () =>
        api.destroyEnvironment(
          name,
          dependants === 'refuse' ? undefined : { dependants },
        ),
      ),
    );
  };

  return (
    <OperationDialog
      open={open}
      onClose={onClose}
      maxWidth="sm"
      title={t('destroy.title', { name })}
      intro={t('destroy.intro', { namespace: env?.namespace ?? name })}
      refusal={message}
      submit={{
        label: t('destroy.submit'),
        onClick: submit,
        disabled: !matches || busy,
        color: 'secondary',
      }}
    >
      <TextField
        id="destroy-confirm"
        label={t('destroy.confirm', { name })}
        value={typed}
        onChange={e => setTyped(e.target.value)}
        onKeyDown={e => {
          if (e.key === 'Enter') void submit();
        }}
        error={typed.length > 0 && !matches}
        helperText={typed.length > 0 && !matches ? t('destroy.mismatch') : ' '}
        fullWidth
        margin="dense"
        variant="outlined"
        inputProps={{ autoComplete: 'off', spellCheck: false }}
      />
      <TextField
        id="destroy-dependants"
        select
        label={t('destroy.dependants')}
        value={dependants}
        onChange={e => setDependants(e.target.value as typeof dependants)}
        fullWidth
        margin="dense"
        variant="outlined"
      >
        <MenuItem value="refuse">{t('destroy.dependantsRefuse')}</MenuItem>
        <MenuItem value="orphan">{t('destroy.dependantsOrphan')}</MenuItem>
        <MenuItem value="destroy">{t('destroy.dependantsDestroy')}</MenuItem>
      </TextField>
    </OperationDialog>
  );
}
