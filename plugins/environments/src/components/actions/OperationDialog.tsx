import { ReactNode, useState } from 'react';
import Dialog, { DialogProps } from '@material-ui/core/Dialog';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import { RefusalMessage } from './RefusalMessage';
import { DialogButtons } from './DialogButtons';
import { Refusal, useOperationRunner } from './useOperationRunner';

/**
 * What an operation dialog sends, with useOperationRunner's run or request: `send` waits for it
 * and closes the dialog when it is accepted; a refusal's message is kept in `message`, for the
 * dialog to show above its fields, and the refusal is returned for the fields it names.
 */
export function useOperationDialog(onClose: () => void) {
  const { run, request, busy } = useOperationRunner();
  const [message, setMessage] = useState<string>();
  const send = async (sending: Promise<Refusal | undefined>) => {
    const refusal = await sending;
    if (refusal) setMessage(refusal.message);
    else onClose();
    return refusal;
  };
  return { run, request, busy, message, setMessage, send };
}

/**
 * The frame of a dialog that asks for an operation: its title, what it does, the refusal of the
 * last try, its fields, and Cancel beside its action.
 */
export function OperationDialog(props: {
  open: boolean;
  onClose: () => void;
  maxWidth: DialogProps['maxWidth'];
  title: ReactNode;
  intro: ReactNode;
  refusal?: string;
  children?: ReactNode;
  submit: {
    label: string;
    onClick: () => void;
    disabled?: boolean;
    color?: 'primary' | 'secondary';
  };
}) {
  const { open, onClose, submit } = props;
  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth={props.maxWidth}>
      <DialogTitle>{props.title}</DialogTitle>
      <DialogContent>
        <DialogContentText>{props.intro}</DialogContentText>
        <RefusalMessage message={props.refusal} />
        {props.children}
      </DialogContent>
      <DialogButtons
        onCancel={onClose}
        onSubmit={submit.onClick}
        submitLabel={submit.label}
        disabled={submit.disabled}
        color={submit.color}
      />
    </Dialog>
  );
}
