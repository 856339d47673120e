import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { environmentsTranslationRef } from '../../translation';
import {
  OperationDialog,
  useOperationDialog,
} from '../actions/OperationDialog';

/** A promote or an abort of one released version, waiting to be confirmed. */
export interface ReleaseStep {
  type: 'release-promote' | 'release-abort';
  service: string;
  version: string;
  /** The primary version now, which a promote ends. */
  primary: string;
}

/** Asks before a promote or an abort, saying what goes; sends it on confirmation. */
export function ConfirmStepDialog(props: {
  step?: ReleaseStep;
  onClose: () => void;
}) {
  const { step, onClose } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { request, busy, message, send } = useOperationDialog(onClose);
  if (!step) return null;
  const promote = step.type === 'release-promote';
  const values = {
    service: step.service,
    version: step.version,
    primary: step.primary,
  };
  return (
    <OperationDialog
      open
      onClose={onClose}
      maxWidth="xs"
      title={t(promote ? 'release.promoteTitle' : 'release.abortTitle', values)}
      intro={t(promote ? 'release.promoteIntro' : 'release.abortIntro', values)}
      refusal={message}
      submit={{
        label: t(promote ? 'release.promote' : 'release.abort'),
        disabled: busy,
        onClick: () =>
          void send(
            request({
              type: step.type,
              service: step.service,
              version: step.version,
            }),
          ),
      }}
    />
  );
}
