import { useEffect, useState } from 'react';
import Dialog from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Revision } from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';
import { RevisionDiff } from '../HistoryTab/RevisionDiff';
import { useOperationRunner } from './useOperationRunner';
import { RefusalMessage } from './RefusalMessage';
import { DialogButtons } from './DialogButtons';

/** Rolls back to a revision after showing what that changes from the current one. */
export function RollbackDialog(props: {
  /** The revision to roll back to; the dialog is open while set. */
  target?: Revision;
  current?: Revision;
  onClose: () => void;
}) {
  const { target, current, onClose } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const { name } = useEnvironmentContext();
  const { run, busy } = useOperationRunner();
  const [message, setMessage] = useState<string>();

  useEffect(() => setMessage(undefined), [target]);

  const submit = async () => {
    if (!target) return;
    const refusal = await run('rollback', () =>
      api.requestOperation(name, {
        type: 'rollback',
        revision: target.revision,
      }),
    );
    if (!refusal) onClose();
    else setMessage(refusal.message);
  };

  return (
    <Dialog open={!!target} onClose={onClose} fullWidth maxWidth="md">
      <DialogTitle>
        {t('rollback.title', {
          name,
          revision: String(target?.revision ?? ''),
        })}
      </DialogTitle>
      <DialogContent>
        <DialogContentText>
          {t('rollback.intro', { revision: String(target?.revision ?? '') })}
        </DialogContentText>
        <RefusalMessage message={message} />
        {target && current && <RevisionDiff from={current} to={target} />}
      </DialogContent>
      <DialogButtons
        onCancel={onClose}
        onSubmit={submit}
        submitLabel={t('rollback.submit')}
        disabled={busy}
      />
    </Dialog>
  );
}
