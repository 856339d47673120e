import { useEffect, useMemo, useState } from 'react';
import { useApiHolder } from '@backstage/core-plugin-api';
import { appLanguageApiRef } from '@backstage/core-plugin-api/alpha';
import { dateTime, relativeTime } from '../format';

/** The current time, re-read every `everyMs` (a clock for "expires in", not a data poll). */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Relative and absolute times in the app's language. */
export function useFormat() {
  const languageApi = useApiHolder().get(appLanguageApiRef);
  const language = languageApi?.getLanguage().language ?? 'en';
  return useMemo(
    () => ({
      language,
      relative: (date: Date | string, now = Date.now()) =>
        relativeTime(date, now, language),
      dateTime: (date: Date | string) => dateTime(date, language),
    }),
    [language],
  );
}
