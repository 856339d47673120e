import { ReactNode } from 'react';
import { act, renderHook } from '@testing-library/react';
import { TestApiProvider } from '@backstage/test-utils';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { FakeSignalApi } from '../__testUtils__/fakes';
import {
  MIN_RELOAD_INTERVAL_MS,
  SIGNAL_COALESCE_MS,
  useSignalGeneration,
} from './useSignalGeneration';

describe('useSignalGeneration', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('turns a burst of signals into a few reloads, spaced out', () => {
    const signals = new FakeSignalApi();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <TestApiProvider apis={[[signalApiRef, signals]]}>
        {children}
      </TestApiProvider>
    );
    const { result } = renderHook(() => useSignalGeneration('environments:x'), {
      wrapper,
    });
    expect(result.current.generation).toBe(0);
    expect(result.current.live).toBe(true);

    // One signal: one reload, shortly after.
    act(() => signals.fire('environments:x'));
    act(() => jest.advanceTimersByTime(SIGNAL_COALESCE_MS));
    expect(result.current.generation).toBe(1);

    // A signal every 50 ms for two seconds: at most one reload per interval.
    for (let i = 0; i < 40; i++) {
      act(() => {
        signals.fire('environments:x');
        jest.advanceTimersByTime(50);
      });
    }
    act(() => jest.advanceTimersByTime(MIN_RELOAD_INTERVAL_MS));
    const reloads = result.current.generation - 1;
    expect(reloads).toBeGreaterThanOrEqual(3);
    expect(reloads).toBeLessThanOrEqual(5);

    // Other channels do not count.
    const before = result.current.generation;
    act(() => {
      signals.fire('environments:y');
      jest.advanceTimersByTime(MIN_RELOAD_INTERVAL_MS);
    });
    expect(result.current.generation).toBe(before);
  });
});
