/*
 * WeCom (WeChat Work) group robot: a markdown message. The robot's key is in its URL
 * (…/cgi-bin/webhook/send?key=…); there is no signature. It answers {"errcode": 0,
 * "errmsg": "ok"}, with HTTP 200 for errors too.
 */
import { ChannelFormat, codeRejection, markdownLines } from './types';

export const wecom: ChannelFormat = {
  request(channel, message) {
    return {
      url: channel.url,
      body: {
        msgtype: 'markdown',
        markdown: { content: markdownLines(message).join('\n') },
      },
    };
  },
  rejection: (status, body) =>
    codeRejection(status, body, { code: 'errcode', message: 'errmsg' }),
};
