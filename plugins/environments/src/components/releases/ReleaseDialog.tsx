import { useEffect, useState } from 'react';
import TextField from '@material-ui/core/TextField';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  operationRequestSchema,
  toFieldErrors,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import {
  OperationDialog,
  useOperationDialog,
} from '../actions/OperationDialog';

/** What the release dialog does: start a release of a service, or change one's weight. */
export type ReleaseDialogMode =
  | { kind: 'start'; service: string; current: string }
  | { kind: 'weight'; service: string; version: string; weight: number };

type Field = 'version' | 'header' | 'weight' | 'replicas';

/**
 * Starts a gray release (a version beside the current one, reached by a Version header, a
 * weight, or both) or changes a released version's weight. The request is checked with the
 * backend's own schema first; what the backend refuses shows next to the field it names.
 */
export function ReleaseDialog(props: {
  mode?: ReleaseDialogMode;
  onClose: () => void;
}) {
  const { mode, onClose } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { request, busy, message, setMessage, send } =
    useOperationDialog(onClose);
  const [values, setValues] = useState<Record<Field, string>>({
    version: '',
    header: '',
    weight: '',
    replicas: '',
  });
  const [headerTouched, setHeaderTouched] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});

  useEffect(() => {
    if (!mode) return;
    setValues({
      version: '',
      header: '',
      weight: mode.kind === 'weight' ? String(mode.weight) : '0',
      replicas: '',
    });
    setHeaderTouched(false);
    setErrors({});
    setMessage(undefined);
  }, [mode, setMessage]);

  if (!mode) return null;
  const set = (field: Field, value: string) =>
    setValues(v => ({
      ...v,
      [field]: value,
      // The header follows the version until it is edited: clients send their version.
      ...(field === 'version' && !headerTouched ? { header: value } : {}),
    }));
  const number = (s: string) => (s.trim() === '' ? undefined : Number(s));

  const submit = async () => {
    const body =
      mode.kind === 'start'
        ? {
            type: 'release-start' as const,
            service: mode.service,
            version: values.version.trim() || undefined,
            ...(values.header.trim() ? { header: values.header.trim() } : {}),
            ...(number(values.weight) !== undefined
              ? { weight: number(values.weight) }
              : {}),
            ...(number(values.replicas) !== undefined
              ? { replicas: number(values.replicas) }
              : {}),
          }
        : {
            type: 'release-weight' as const,
            service: mode.service,
            version: mode.version,
            weight: number(values.weight),
          };
    const byField = (list: Array<{ path: string; message: string }>) => {
      const out: Partial<Record<Field, string>> = {};
      for (const e of list) {
        const field = (
          ['version', 'header', 'weight', 'replicas'] as const
        ).find(f => e.path === f || e.path.endsWith(`.${f}`));
        if (field) out[field] = e.message;
      }
      return out;
    };
    const parsed = operationRequestSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(byField(toFieldErrors(parsed.error)));
      setMessage(undefined);
      return;
    }
    const refusal = await send(request(parsed.data));
    if (refusal) setErrors(byField(refusal.fields));
  };

  const field = (name: Field, extra: Record<string, unknown> = {}) => (
    <TextField
      id={`release-${name}`}
      label={t(`release.fields.${name}`)}
      helperText={errors[name] ?? t(`release.help.${name}`)}
      error={!!errors[name]}
      value={values[name]}
      onChange={e => {
        if (name === 'header') setHeaderTouched(true);
        set(name, e.target.value);
      }}
      onKeyDown={e => {
        if (e.key === 'Enter') void submit();
      }}
      fullWidth
      margin="dense"
      variant="outlined"
      {...extra}
    />
  );

  return (
    <OperationDialog
      open
      onClose={onClose}
      maxWidth="sm"
      title={
        mode.kind === 'start'
          ? t('release.startTitle', { service: mode.service })
          : t('release.weightTitle', {
              service: mode.service,
              version: mode.version,
            })
      }
      intro={
        mode.kind === 'start'
          ? t('release.startIntro', { current: mode.current })
          : t('release.weightIntro')
      }
      refusal={message}
      submit={{
        label:
          mode.kind === 'start'
            ? t('release.startSubmit')
            : t('release.weightSubmit'),
        onClick: submit,
        disabled: busy,
      }}
    >
      {mode.kind === 'start' && field('version', { autoFocus: true })}
      {mode.kind === 'start' && field('header')}
      {field('weight', { type: 'number', inputProps: { min: 0, max: 100 } })}
      {mode.kind === 'start' &&
        field('replicas', { type: 'number', inputProps: { min: 0, max: 20 } })}
    </OperationDialog>
  );
}
