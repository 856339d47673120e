/*
 * The web terminal (issue #15 §1) in the browser: an owner opens a shell in a pod from the
 * Pods tab, runs a command and sees what it printed; a non-owner gets neither the link nor a
 * shell, even from a pasted link, and the backend refuses their socket.
 */
import { test, expect, APIRequestContext } from '@playwright/test';
import { guestToken, openAsGuest } from './session';
import { screenshot } from './screenshot';

const suffix = Date.now().toString(36).slice(-5);
const mine = `term-${suffix}`;
const theirs = `term-design-${suffix}`;
/** A service's token (app-config.e2e.yaml): services create for any owner. */
const serviceAuth = { Authorization: 'Bearer e2e-platform-service-token' };

async function createReady(
  request: APIRequestContext,
  headers: Record<string, string>,
  name: string,
  owner: string,
) {
  const res = await request.post('/api/environments/environments', {
    headers,
    data: { name, owner, purpose: 'sandbox', services: [{ name: 'global' }] },
  });
  expect(res.status(), await res.text()).toBe(202);
  await expect
    .poll(
      async () =>
        (
          await (
            await request.get(`/api/environments/environments/${name}`, {
              headers,
            })
          ).json()
        ).status?.phase,
      { timeout: 120_000 },
    )
    .toBe('Ready');
  const pods = await (
    await request.get(`/api/environments/environments/${name}/pods`, {
      headers,
    })
  ).json();
  return pods.items[0].name as string;
}

test('an owner runs a command in a pod; a non-owner is refused', async ({
  page,
  request,
}) => {
  const auth = { Authorization: `Bearer ${await guestToken(request)}` };
  const [pod, foreignPod] = await Promise.all([
    createReady(request, auth, mine, 'group:default/backend'),
    createReady(request, serviceAuth, theirs, 'group:default/design'),
  ]);
  try {
    await openAsGuest(page, `/environments/${mine}/pods`);
    await page.getByRole('link', { name: `Terminal ${pod}` }).click();
    await expect(page).toHaveURL(
      new RegExp(
        `/environments/${mine}/pods\\?terminal=${pod}&container=global$`,
      ),
    );
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText(`Terminal: ${pod} / global`);
    await expect(dialog.getByTestId('terminal-status')).toContainText(
      'Connected: /bin/sh',
    );
    const terminal = dialog.getByTestId('terminal');
    await terminal.click();
    // The shell computes the answer: the page cannot show it by echoing the keys.
    await page.keyboard.type('echo "from-the-pod-$((6 * 7))"; stty size');
    await page.keyboard.press('Enter');
    await expect(terminal).toContainText('from-the-pod-42');
    // The terminal's size follows the dialog's (rows and columns of the TTY).
    // (rows are text without line breaks: the size follows the answer directly.)
    await expect(terminal).toContainText(/from-the-pod-42\s*\d{2,3} \d{2,3}/);
    await screenshot(page, 'terminal');
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await expect(dialog.getByTestId('terminal-status')).toContainText(
      'Closed: The shell exited',
    );
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(page).toHaveURL(new RegExp(`/environments/${mine}/pods$`));

    // Someone else's environment: no Terminal link, and a pasted link says why.
    await page.goto(`/environments/${theirs}/pods`);
    await expect(
      page.getByRole('link', { name: `Logs ${foreignPod}` }),
    ).toBeVisible();
    await expect(
      page.getByRole('link', { name: `Terminal ${foreignPod}` }),
    ).toHaveCount(0);
    await page.goto(`/environments/${theirs}/pods?terminal=${foreignPod}`);
    await expect(page.getByRole('dialog')).toContainText(
      'You may not open a terminal in this environment (environments.environment.exec).',
    );
    await screenshot(page, 'terminal-denied');
    // The backend refuses the socket itself, whatever the page shows.
    const token = auth.Authorization.slice('Bearer '.length);
    const closed = await page.evaluate(
      async ({ name, p, t }) => {
        const b64 = btoa(t)
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
        const url = `${location.origin.replace(
          /^http/,
          'ws',
        )}/api/environments/environments/${name}/pods/${p}/terminal`;
        const ws = new WebSocket(url, [
          'archipelago.terminal.v1',
          `archipelago.token.${b64}`,
        ]);
        return new Promise<{ code: number; reason: string }>(resolve => {
          ws.onclose = e => resolve({ code: e.code, reason: e.reason });
        });
      },
      { name: theirs, p: foreignPod, t: token },
    );
    expect(closed.code).toBe(4403);
    expect(closed.reason).toContain('environments.environment.exec');
  } finally {
    await request.delete(`/api/environments/environments/${mine}`, {
      headers: auth,
    });
    await request.delete(`/api/environments/environments/${theirs}`, {
      headers: serviceAuth,
    });
  }
});
