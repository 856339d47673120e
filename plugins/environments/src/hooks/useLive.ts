import { useEffect, useRef, useState } from 'react';

export interface Live<T> {
  value?: T;
  error?: Error;
  loading: boolean;
}

/**
 * Loads `load()` when `key` changes (forgetting the old value) and again whenever `generation`
 * changes (keeping the old value on screen until the new one arrives, so live updates do not
 * flicker). Only the newest request's answer is kept: answers that arrive out of order are
 * dropped.
 */
export function useLive<T>(
  load: () => Promise<T>,
  key: string,
  generation: number,
): Live<T> {
  const [state, setState] = useState<Live<T>>({ loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  const latest = useRef(0);
  const keyRef = useRef(key);

  useEffect(() => {
    const request = ++latest.current;
    if (keyRef.current !== key) {
      keyRef.current = key;
      setState({ loading: true });
    }
    loadRef.current().then(
      value => {
        if (latest.current === request) setState({ value, loading: false });
      },
      error => {
        if (latest.current === request)
          setState(s => ({ value: s.value, error, loading: false }));
      },
    );
  }, [key, generation]);

  // Answers that arrive after unmounting are dropped too.
  useEffect(
    () => () => {
      latest.current = -1;
    },
    [],
  );

  return state;
}
