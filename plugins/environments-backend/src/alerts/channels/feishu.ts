/*
 * Feishu / Lark custom bot: an interactive card with a markdown element. A bot set to sign
 * gets `timestamp` (seconds, as a string) and `sign` in the body, sign =
 * base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")). It answers
 * {"code": 0, "msg": "success"} (older bots: {"StatusCode": 0}), with HTTP 200 for errors too.
 */
import { createHmac } from 'node:crypto';
import { ChannelFormat, codeRejection, markdownLines } from './types';

export function feishuSign(secret: string, timestamp: number): string {
  return createHmac('sha256', `${timestamp}\n${secret}`)
    .update('')
    .digest('base64');
}

export const feishu: ChannelFormat = {
  request(channel, message, now) {
    const timestamp = Math.floor(now.getTime() / 1000);
    const [, , ...rest] = markdownLines(message);
    return {
      url: channel.url,
      body: {
        ...(channel.secret
          ? {
              timestamp: String(timestamp),
              sign: feishuSign(channel.secret, timestamp),
            }
          : {}),
        msg_type: 'interactive',
        card: {
          header: {
            title: {
              tag: 'plain_text',
              content: `${message.kind === 'resolved' ? 'Resolved: ' : ''}${
                message.title
              }`,
            },
            template: message.kind === 'resolved' ? 'green' : 'red',
          },
          elements: [{ tag: 'markdown', content: rest.join('\n') }],
        },
      },
    };
  },
  rejection: (status, body) =>
    codeRejection(status, body, { code: 'code', message: 'msg' }),
};
