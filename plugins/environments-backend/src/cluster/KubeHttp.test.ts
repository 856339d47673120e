import fc from 'fast-check';
import { RequestLimiter } from './KubeHttp';

describe('RequestLimiter', () => {
  it('never runs more than its cap at once, runs every request, in the order they came', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 5 }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        async (max, delays, fails) => {
          const limiter = new RequestLimiter(max);
          let active = 0;
          let most = 0;
          const started: number[] = [];
          const results = await Promise.allSettled(
            delays.map((ms, i) =>
              limiter.run(async () => {
                started.push(i);
                active++;
                most = Math.max(most, active);
                await new Promise(r => setTimeout(r, ms));
                active--;
                if (fails[i]) throw new Error(`request ${i} failed`);
                return i;
              }),
            ),
          );
          expect(most).toBeLessThanOrEqual(max);
          expect(limiter.peak).toBe(most);
          expect(started).toEqual(delays.map((_, i) => i));
          results.forEach((r, i) =>
            expect(r.status).toBe(fails[i] ? 'rejected' : 'fulfilled'),
          );
          // A failed request gives its slot back too: the limiter is idle again.
          let ran = false;
          await limiter.run(async () => {
            ran = true;
          });
          expect(ran).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});
