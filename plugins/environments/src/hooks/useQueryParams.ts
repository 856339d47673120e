import { useSearchParams } from 'react-router-dom';

/** Changes to the URL query: an empty or undefined value removes the parameter. */
export type QueryChanges = Record<string, string | undefined>;

/**
 * The page's URL query, and a setter that changes some of its parameters in place (replacing
 * the history entry, so filtering does not fill the back button).
 */
export function useQueryParams(): [
  URLSearchParams,
  (changes: QueryChanges) => void,
] {
  const [params, setParams] = useSearchParams();
  const set = (changes: QueryChanges) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === '') next.delete(k);
      else next.set(k, v);
    }
    setParams(next, { replace: true });
  };
  return [params, set];
}
