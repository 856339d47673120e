import { useQueryParams } from '../hooks/useQueryParams';
import { SelectField, SelectOption } from './SelectField';

/**
 * A select that filters by a URL parameter, so that a filtered view can be shared: its first
 * choice, "any", removes the parameter.
 */
export function FilterField(props: {
  id: string;
  param: string;
  label: string;
  anyLabel: string;
  options: SelectOption[];
  minWidth?: number;
}) {
  const { param, anyLabel, options, ...field } = props;
  const [params, set] = useQueryParams();
  return (
    <SelectField
      {...field}
      value={params.get(param) ?? ''}
      options={[{ value: '', label: anyLabel }, ...options]}
      onChange={value => set({ [param]: value })}
    />
  );
}
