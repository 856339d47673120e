import { useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { environmentsApiRef } from '../../api';
import { LogBuffer } from './logBuffer';

export interface LogStreamOptions {
  name: string;
  pod?: string;
  container?: string;
  sinceSeconds?: number;
  sinceTime?: string;
  follow: boolean;
}

export interface LogStream {
  text: string;
  state: 'idle' | 'streaming' | 'ended' | 'error';
  error?: Error;
  /** Older lines were dropped to keep the view fast. */
  truncated: boolean;
}

/** Without a start time, a log opens with its last lines, not its whole history. */
const DEFAULT_TAIL = 1000;
/** The view re-renders at most this often while lines arrive. */
const RENDER_EVERY_MS = 100;

/**
 * Streams a container's log from the backend (chunked text, kept open while following): lines
 * appear as the container writes them, with no polling. The stream closes when the options
 * change or the view goes away.
 */
export function useLogStream(options: LogStreamOptions): LogStream {
  const api = useApi(environmentsApiRef);
  const { name, pod, container, sinceSeconds, sinceTime, follow } = options;
  const [stream, setStream] = useState<LogStream>({
    text: '',
    state: 'idle',
    truncated: false,
  });

  useEffect(() => {
    if (!pod) {
      setStream({ text: '', state: 'idle', truncated: false });
      return undefined;
    }
    const abort = new AbortController();
    const buffer = new LogBuffer();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const show = (state: LogStream['state'], error?: Error) => {
      timer = undefined;
      setStream({
        text: buffer.text,
        state,
        error,
        truncated: buffer.dropped,
      });
    };
    show('streaming');
    (async () => {
      try {
        const res = await api.streamLogs(
          name,
          pod,
          {
            container,
            sinceSeconds: sinceTime ? undefined : sinceSeconds,
            sinceTime,
            tailLines:
              sinceTime || sinceSeconds !== undefined
                ? undefined
                : DEFAULT_TAIL,
            follow,
          },
          { signal: abort.signal },
        );
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer.append(decoder.decode(value, { stream: true }));
          if (!timer)
            timer = setTimeout(() => show('streaming'), RENDER_EVERY_MS);
        }
        if (timer) clearTimeout(timer);
        if (!abort.signal.aborted) show('ended');
      } catch (e) {
        if (timer) clearTimeout(timer);
        if (!abort.signal.aborted) show('error', e as Error);
      }
    })();
    return () => {
      abort.abort();
      if (timer) clearTimeout(timer);
    };
  }, [api, name, pod, container, sinceSeconds, sinceTime, follow]);

  return stream;
}
