import Button from '@material-ui/core/Button';
import DialogActions from '@material-ui/core/DialogActions';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { environmentsTranslationRef } from '../../translation';

/** A dialog's Cancel and its action, the action disabled while the request is under way. */
export function DialogButtons(props: {
  onCancel: () => void;
  onSubmit: () => void;
  submitLabel: string;
  disabled?: boolean;
  color?: 'primary' | 'secondary';
}) {
  const { t } = useTranslationRef(environmentsTranslationRef);
  return (
    <DialogActions>
      <Button onClick={props.onCancel}>{t('actions.cancel')}</Button>
      <Button
        color={props.color ?? 'primary'}
        variant="contained"
        onClick={props.onSubmit}
        disabled={props.disabled}
      >
        {props.submitLabel}
      </Button>
    </DialogActions>
  );
}
