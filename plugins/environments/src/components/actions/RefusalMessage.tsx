import Typography from '@material-ui/core/Typography';

/** The backend's (or the form's) reason for refusing, above a dialog's fields. */
export function RefusalMessage(props: { message?: string }) {
  if (!props.message) return null;
  return (
    <Typography
      role="alert"
      color="error"
      variant="body2"
      style={{ whiteSpace: 'pre-wrap', marginBottom: 8 }}
    >
      {props.message}
    </Typography>
  );
}
