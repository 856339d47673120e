import { useEffect, useState } from 'react';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import TextField from '@material-ui/core/TextField';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  Clock,
  operationRequestSchema,
  toFieldErrors,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import {
  OperationDialog,
  useOperationDialog,
} from '../actions/OperationDialog';

type Mode = 'real' | 'start' | 'offset' | 'follow';

/**
 * Sets the environment's clock, or one island's: real time, a start that then runs, or an
 * offset; an island may also follow the environment again. Checked with the backend's schema.
 */
export function ClockDialog(props: {
  open: boolean;
  onClose: () => void;
  /** One island's clock; the environment's when left out. */
  island?: number;
  current?: Clock;
}) {
  const { open, onClose, island, current } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { request, busy, message, setMessage, send } =
    useOperationDialog(onClose);
  const [mode, setMode] = useState<Mode>('real');
  const [start, setStart] = useState('');
  const [offset, setOffset] = useState('');
  const [fieldError, setFieldError] = useState<string>();

  useEffect(() => {
    if (open) {
      let initial: Mode = 'real';
      if (current?.start) initial = 'start';
      else if (current?.offset) initial = 'offset';
      setMode(initial);
      setStart(current?.start ?? '2021-09-18 23:30:07');
      setOffset(current?.offset ?? '+1d');
      setFieldError(undefined);
      setMessage(undefined);
    }
  }, [open, current, setMessage]);

  const submit = async () => {
    let clock: Clock | null = {};
    if (mode === 'start') clock = { start: start.trim() };
    if (mode === 'offset') clock = { offset: offset.trim() };
    if (mode === 'follow') clock = null;
    const parsed = operationRequestSchema.safeParse({
      type: 'clock',
      clock,
      ...(island !== undefined ? { island } : {}),
    });
    if (!parsed.success) {
      setFieldError(toFieldErrors(parsed.error)[0]?.message);
      return;
    }
    const refusal = await send(request(parsed.data));
    if (refusal)
      setFieldError(
        refusal.fields.find(f => f.path.startsWith('clock'))?.message,
      );
  };

  return (
    <OperationDialog
      open={open}
      onClose={onClose}
      maxWidth="xs"
      title={
        island !== undefined
          ? t('islands.clock.titleIsland', { id: String(island) })
          : t('islands.clock.title')
      }
      intro={t('islands.clock.intro')}
      refusal={message}
      submit={{
        label: t('islands.clock.submit'),
        onClick: submit,
        disabled: busy,
      }}
    >
      <RadioGroup
        aria-label={t('islands.clock.mode')}
        value={mode}
        onChange={e => setMode(e.target.value as Mode)}
      >
        <FormControlLabel
          value="real"
          control={<Radio />}
          label={t('islands.clock.real')}
        />
        <FormControlLabel
          value="start"
          control={<Radio />}
          label={t('islands.clock.start')}
        />
        {mode === 'start' && (
          <TextField
            label={t('islands.clock.startLabel')}
            value={start}
            onChange={e => setStart(e.target.value)}
            error={!!fieldError}
            helperText={fieldError ?? 'YYYY-MM-DD hh:mm:ss'}
            inputProps={{ 'aria-label': t('islands.clock.startLabel') }}
          />
        )}
        <FormControlLabel
          value="offset"
          control={<Radio />}
          label={t('islands.clock.offset')}
        />
        {mode === 'offset' && (
          <TextField
            label={t('islands.clock.offsetLabel')}
            value={offset}
            onChange={e => setOffset(e.target.value)}
            error={!!fieldError}
            helperText={fieldError ?? '+3d, -2h, +90'}
            inputProps={{ 'aria-label': t('islands.clock.offsetLabel') }}
          />
        )}
        {island !== undefined && (
          <FormControlLabel
            value="follow"
            control={<Radio />}
            label={t('islands.clock.follow')}
          />
        )}
      </RadioGroup>
    </OperationDialog>
  );
}
