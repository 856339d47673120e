/*
 * Local receivers for the chat formats (node:http on 127.0.0.1, a random port), each checking
 * a request as the real service does and answering as it does: HTTP 200 with an error code
 * for a refused message (DingTalk, Feishu, WeCom), HTTP 400 with a reason (Slack). The
 * signatures are computed here, independently of alerts/channels.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Received = { url: URL; body: any };

/** A receiver: `check` answers the service's response for one request. */
export async function receiver(
  check: (r: Received) => { status: number; body: string },
) {
  const accepted: Received[] = [];
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', c => {
      data += c;
    });
    req.on('end', () => {
      const r: Received = {
        url: new URL(req.url!, 'http://127.0.0.1'),
        body: (() => {
          try {
            return JSON.parse(data);
          } catch {
            return undefined;
          }
        })(),
      };
      requests.push(r);
      const answer =
        req.method === 'POST' &&
        /application\/json/.test(req.headers['content-type'] ?? '')
          ? check(r)
          : { status: 400, body: 'bad request' };
      if (answer.status === 200 && /"(errcode|code)":0|^ok$/.test(answer.body))
        accepted.push(r);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    accepted,
    requests,
    close: () => new Promise(r => server.close(r)),
  };
}

const HOUR = 3600_000;
const ok = (body: object) => ({ status: 200, body: JSON.stringify(body) });

/** DingTalk: sign = urlencode(base64(HMAC-SHA256(secret, timestamp\nsecret))), ms. */
export const dingtalkService =
  (token: string, secret: string) => (r: Received) => {
    if (r.url.searchParams.get('access_token') !== token)
      return ok({ errcode: 300001, errmsg: 'token is not exist' });
    const ts = Number(r.url.searchParams.get('timestamp'));
    if (!ts || Math.abs(Date.now() - ts) > HOUR)
      return ok({ errcode: 310000, errmsg: 'invalid timestamp' });
    const expected = createHmac('sha256', secret)
      .update(`${ts}\n${secret}`)
      .digest('base64');
    // searchParams decodes the urlencoded value.
    if (r.url.searchParams.get('sign') !== expected)
      return ok({ errcode: 310000, errmsg: 'sign not match' });
    const b = r.body;
    if (
      b?.msgtype !== 'markdown' ||
      typeof b.markdown?.title !== 'string' ||
      typeof b.markdown?.text !== 'string'
    )
      return ok({ errcode: 40035, errmsg: 'missing parameter' });
    return ok({ errcode: 0, errmsg: 'ok' });
  };

/** Feishu: body timestamp (s) and sign = base64(HMAC-SHA256(timestamp\nsecret, "")). */
export const feishuService = (secret: string) => (r: Received) => {
  const b = r.body;
  const ts = Number(b?.timestamp);
  const expected = createHmac('sha256', `${b?.timestamp}\n${secret}`)
    .update('')
    .digest('base64');
  if (
    typeof b?.timestamp !== 'string' ||
    Math.abs(Date.now() / 1000 - ts) > 3600 ||
    b.sign !== expected
  )
    return ok({
      code: 19021,
      msg: 'sign match fail or timestamp is not within one hour from current time',
    });
  if (
    b.msg_type !== 'interactive' ||
    typeof b.card?.header?.title?.content !== 'string' ||
    !Array.isArray(b.card?.elements)
  )
    return ok({ code: 9499, msg: 'Bad Request' });
  return ok({ code: 0, msg: 'success', data: {} });
};

/** WeCom: the key in the URL; markdown.content of at most 4096 bytes. */
export const wecomService = (key: string) => (r: Received) => {
  if (r.url.searchParams.get('key') !== key)
    return ok({ errcode: 93000, errmsg: 'invalid webhook url' });
  const b = r.body;
  if (
    b?.msgtype !== 'markdown' ||
    typeof b.markdown?.content !== 'string' ||
    Buffer.byteLength(b.markdown.content) > 4096
  )
    return ok({ errcode: 40008, errmsg: 'invalid message type' });
  return ok({ errcode: 0, errmsg: 'ok' });
};

/** Slack: text and Block Kit blocks; "ok", or HTTP 400 with the reason. */
export const slackService = () => (r: Received) => {
  const b = r.body;
  if (typeof b?.text !== 'string' || !b.text)
    return { status: 400, body: 'no_text' };
  if (
    !Array.isArray(b.blocks) ||
    b.blocks.length > 50 ||
    b.blocks.some(
      (x: any) =>
        x.type !== 'section' ||
        !(x.text?.type === 'mrkdwn' || Array.isArray(x.fields)),
    )
  )
    return { status: 400, body: 'invalid_blocks' };
  return { status: 200, body: 'ok' };
};
