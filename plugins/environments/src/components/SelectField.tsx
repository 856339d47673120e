import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';

export interface SelectOption {
  value: string;
  label: string;
}

/** A small outlined select with its label, as the filters and pickers use. */
export function SelectField(props: {
  id: string;
  label: string;
  value: string;
  options: SelectOption[];
  onChange: (value: string) => void;
  minWidth?: number;
}) {
  const { id, label, value, options, onChange, minWidth = 160 } = props;
  return (
    <FormControl variant="outlined" size="small" style={{ minWidth }}>
      <InputLabel id={`${id}-label`}>{label}</InputLabel>
      <Select
        labelId={`${id}-label`}
        label={label}
        value={options.some(o => o.value === value) ? value : ''}
        onChange={e => onChange(String(e.target.value))}
      >
        {options.map(o => (
          <MenuItem key={o.value} value={o.value}>
            {o.label}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}
