import { act, renderHook, waitFor } from '@testing-library/react';
import { useLive } from './useLive';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>(r => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('useLive', () => {
  it('keeps the newest answer when answers arrive out of order', async () => {
    const answers = [deferred<string>(), deferred<string>()];
    let call = 0;
    const { result, rerender } = renderHook(
      ({ generation }) =>
        useLive(() => answers[call++].promise, 'k', generation),
      { initialProps: { generation: 0 } },
    );
    rerender({ generation: 1 });
    await act(async () => answers[1].resolve('new'));
    await waitFor(() => expect(result.current.value).toBe('new'));
    await act(async () => answers[0].resolve('old'));
    expect(result.current.value).toBe('new');
  });

  it('keeps the old value while loading again, and forgets it for another key', async () => {
    let n = 0;
    const { result, rerender } = renderHook(
      ({ key, generation }) =>
        useLive(async () => `${key}:${n++}`, key, generation),
      { initialProps: { key: 'a', generation: 0 } },
    );
    await waitFor(() => expect(result.current.value).toBe('a:0'));
    rerender({ key: 'a', generation: 1 });
    expect(result.current.value).toBe('a:0');
    await waitFor(() => expect(result.current.value).toBe('a:1'));
    rerender({ key: 'b', generation: 1 });
    expect(result.current).toEqual({ loading: true });
    await waitFor(() => expect(result.current.value).toBe('b:2'));
  });

  it('keeps the last value when a reload fails, and reports the error', async () => {
    let fail = false;
    const { result, rerender } = renderHook(
      ({ generation }) =>
        useLive(
          async () => {
            if (fail) throw new Error('backend down');
            return 'ok';
          },
          'k',
          generation,
        ),
      { initialProps: { generation: 0 } },
    );
    await waitFor(() => expect(result.current.value).toBe('ok'));
    fail = true;
    rerender({ generation: 1 });
    await waitFor(() =>
      expect(result.current.error?.message).toBe('backend down'),
    );
    expect(result.current.value).toBe('ok');
  });
});
