import { BatchingEnvironmentsClient } from './BatchingEnvironmentsClient';

const env = { name: 'shop', status: { phase: 'Ready' } };
const topology = { nodes: [{ id: 'global' }], edges: [] };
const pods = { items: [{ name: 'global-1' }] };

/** A backend that answers as the environments backend does, and records every request. */
function backend(status = 200) {
  const urls: string[] = [];
  const fetch = jest.fn(async (url: string) => {
    urls.push(url);
    const u = new URL(url);
    const include = u.searchParams.getAll('include');
    let body: unknown = env;
    if (status !== 200)
      body = {
        error: { name: 'NotFoundError', message: 'No environment shop' },
      };
    else if (u.pathname.endsWith('/topology')) body = topology;
    else if (u.pathname.endsWith('/pods')) body = pods;
    else if (include.length)
      body = {
        ...env,
        included: {
          ...(include.includes('topology') && { topology }),
          ...(include.includes('pods') && { pods }),
        },
      };
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  const client = new BatchingEnvironmentsClient({
    discoveryApi: { getBaseUrl: async () => 'http://backend/api/environments' },
    fetchApi: { fetch: fetch as any },
  });
  return { client, urls };
}

describe('BatchingEnvironmentsClient', () => {
  it('sends the reads of one environment made at once as one request, and gives each caller its part', async () => {
    const { client, urls } = backend();
    const [e, t, p, p2] = await Promise.all([
      client.getEnvironment('shop'),
      client.getTopology('shop'),
      client.getPods('shop'),
      client.getPods('shop'),
    ]);
    expect(urls).toEqual([
      'http://backend/api/environments/environments/shop?include=topology&include=pods',
    ]);
    expect(e).toEqual(env);
    expect(t).toEqual(topology);
    expect(p).toEqual(pods);
    expect(p2).toEqual(pods);
  });

  it('sends a read alone to its own endpoint, and reads made later in their own request', async () => {
    const { client, urls } = backend();
    expect(await client.getPods('shop')).toEqual(pods);
    expect(await client.getEnvironment('shop')).toEqual(env);
    const [a, b] = await Promise.all([
      client.getEnvironment('shop'),
      client.getEnvironment('other'),
    ]);
    expect(a).toEqual(env);
    expect(b).toEqual(env);
    expect(urls).toEqual([
      'http://backend/api/environments/environments/shop/pods',
      'http://backend/api/environments/environments/shop',
      'http://backend/api/environments/environments/shop',
      'http://backend/api/environments/environments/other',
    ]);
  });

  it('rejects every caller of a batch with the refusal', async () => {
    const { client, urls } = backend(404);
    const results = await Promise.allSettled([
      client.getEnvironment('shop'),
      client.getPods('shop'),
    ]);
    expect(urls).toHaveLength(1);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason.response.status).toBe(404);
    }
  });
});
