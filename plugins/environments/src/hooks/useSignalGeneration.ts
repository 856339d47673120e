import { useCallback, useEffect, useState } from 'react';
import { useApiHolder } from '@backstage/core-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';

/** Signals that arrive within this window cause one refresh, not one each. */
export const SIGNAL_COALESCE_MS = 100;
/**
 * During a burst (a rollout of many pods signals every few hundred milliseconds), views load
 * again at most this often, so the page keeps answering clicks.
 */
export const MIN_RELOAD_INTERVAL_MS = 500;

/**
 * A counter that goes up when the backend signals a change on `channel` (at most every
 * MIN_RELOAD_INTERVAL_MS), when the tab comes
 * back to the foreground, or when the browser comes back online (signals sent while a tab slept
 * or was offline are lost). Views load again when it changes: updates are pushed, never polled.
 */
export function useSignalGeneration(channel: string | undefined): {
  generation: number;
  /** Whether this portal delivers signals at all. */
  live: boolean;
  /** Asks every view that follows this counter to load again. */
  bump: () => void;
} {
  const signals = useApiHolder().get(signalApiRef);
  const [generation, setGeneration] = useState(0);
  const bump = useCallback(() => setGeneration(g => g + 1), []);

  useEffect(() => {
    if (!signals || !channel) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const { unsubscribe } = signals.subscribe(channel, () => {
      if (timer) return;
      const wait = Math.max(
        SIGNAL_COALESCE_MS,
        MIN_RELOAD_INTERVAL_MS - (Date.now() - last),
      );
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        bump();
      }, wait);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [signals, channel, bump]);

  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') bump();
    };
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('online', bump);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('online', bump);
    };
  }, [bump]);

  return { generation, live: !!signals, bump };
}
