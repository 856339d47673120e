import { ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  ResponseErrorPanel,
  Table,
  TableProps,
} from '@backstage/core-components';
import type { Live } from '../hooks/useLive';

/** What a table shows when it has no rows. */
export function EmptyMessage(props: { children: ReactNode }) {
  return (
    <Box p={2}>
      <Typography>{props.children}</Typography>
    </Box>
  );
}

/**
 * A table of something loaded live: loading until the first answer, and the error instead of
 * the table while there is nothing to show (later errors keep the last rows on screen).
 */
export function LiveTable<T extends object>(
  props: TableProps<T> & { live: Live<unknown> },
) {
  const { live, ...table } = props;
  if (live.error && !live.value)
    return <ResponseErrorPanel error={live.error} />;
  return <Table<T> isLoading={live.loading && !live.value} {...table} />;
}
