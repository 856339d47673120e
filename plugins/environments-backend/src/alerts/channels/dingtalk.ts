/*
 * DingTalk custom robot: a markdown message. A robot set to sign gets `timestamp` (ms) and
 * `sign` as query parameters, sign = urlencode(base64(HMAC-SHA256(secret, timestamp + "\n" +
 * secret))). It answers {"errcode": 0, "errmsg": "ok"}, with HTTP 200 for errors too.
 */
import { createHmac } from 'node:crypto';
import { ChannelFormat, codeRejection, markdownLines } from './types';

export function dingtalkSign(secret: string, timestamp: number): string {
  return createHmac('sha256', secret)
    .update(`${timestamp}\n${secret}`)
    .digest('base64');
}

export const dingtalk: ChannelFormat = {
  request(channel, message, now) {
    const url = new URL(channel.url);
    if (channel.secret) {
      const timestamp = now.getTime();
      url.searchParams.set('timestamp', String(timestamp));
      // URLSearchParams percent-encodes the base64 (+, /, =) as urlencode would.
      url.searchParams.set('sign', dingtalkSign(channel.secret, timestamp));
    }
    return {
      url: url.toString(),
      body: {
        msgtype: 'markdown',
        markdown: {
          title: message.title,
          // DingTalk's markdown needs a blank line for a line break.
          text: markdownLines(message).join('\n\n'),
        },
      },
    };
  },
  rejection: (status, body) =>
    codeRejection(status, body, { code: 'errcode', message: 'errmsg' }),
};
