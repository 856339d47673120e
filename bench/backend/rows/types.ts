/* One row of the benchmark table, as run.ts prints it. */
export interface RowResult {
  id: string;
  what: string;
  /** Figures measured, each "label: value". */
  figures: string[];
  /** What it was compared with in the same run, and the ratio. */
  anchor?: string;
  target: string;
  /** Whether the target was met in this run, and, if not, what the figure says. */
  met: boolean | undefined;
  notes?: string[];
}
