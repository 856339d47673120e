import { useEffect } from 'react';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Revision } from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';
import { RevisionDiff } from '../HistoryTab/RevisionDiff';
import { OperationDialog, useOperationDialog } from './OperationDialog';

/** Rolls back to a revision after showing what that changes from the current one. */
export function RollbackDialog(props: {
  /** The revision to roll back to; the dialog is open while set. */
  target?: Revision;
  current?: Revision;
  onClose: () => void;
}) {
  const { target, current, onClose } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { name } = useEnvironmentContext();
  const { request, busy, message, setMessage, send } =
    useOperationDialog(onClose);

  useEffect(() => setMessage(undefined), [target, setMessage]);

  const submit = async () => {
    if (!target) return;
    await send(request({ type: 'rollback', revision: target.revision }));
  };

  return (
    <OperationDialog
      open={!!target}
      onClose={onClose}
      maxWidth="md"
      title={t('rollback.title', {
        name,
        revision: String(target?.revision ?? ''),
      })}
      intro={t('rollback.intro', { revision: String(target?.revision ?? '') })}
      refusal={message}
      submit={{ label: t('rollback.submit'), onClick: submit, disabled: busy }}
    >
      {target && current && <RevisionDiff from={current} to={target} />}
    </OperationDialog>
  );
}
