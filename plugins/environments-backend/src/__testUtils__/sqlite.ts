/**
 * The pool settings of a SQLite file that several backend processes share (the chaos suite):
 * write-ahead logging, so that readers never block the writer, and a writer waits up to 30 s
 * for another's lock instead of better-sqlite3's 5 s, which a loaded machine can exceed.
 */
export const sharedSqlitePool = {
  afterCreate: (
    conn: { pragma(source: string): unknown },
    done: (err: Error | null, conn: unknown) => void,
  ) => {
    try {
      conn.pragma('journal_mode = WAL');
      conn.pragma('busy_timeout = 30000');
      done(null, conn);
    } catch (e) {
      done(e as Error, conn);
    }
  },
};
