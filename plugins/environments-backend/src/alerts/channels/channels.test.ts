/*
 * The chat formats against local receivers (node:http on 127.0.0.1), one per service, that
 * check each request as the real service does: DingTalk's and Feishu's signatures (computed
 * here independently of the code under test, with the clock window the services allow),
 * WeCom's key in the URL, each body's shape; and that answer as the services do, HTTP 200
 * with an error code for a refused message. Then delivery: retries, and giving up without
 * throwing.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { AlertMessage, ChannelSettings, deliver } from '.';
import {
  dingtalkService,
  feishuService,
  receiver,
  slackService,
  wecomService,
} from '../../__testUtils__/chatReceivers';

const message: AlertMessage = {
  environment: 'feat-login',
  rule: 'degraded',
  kind: 'firing',
  title: 'Environment feat-login is Degraded',
  details: ['game: 0/1 ready (CrashLoopBackOff)'],
  link: 'https://portal.example/environments/feat-login',
};

const logger = mockServices.logger.mock();
const send = (channel: ChannelSettings, attempts = 1) =>
  deliver(channel, message, { logger, attempts, backoffMs: 10 });

describe('chat channels', () => {
  it('DingTalk: a signed markdown message the robot accepts', async () => {
    const r = await receiver(dingtalkService('tok', 'SECabc'));
    try {
      const ch: ChannelSettings = {
        name: 'ding',
        type: 'dingtalk',
        url: `${r.base}/robot/send?access_token=tok`,
        secret: 'SECabc',
        default: false,
      };
      expect(await send(ch)).toBe(true);
      expect(r.accepted).toHaveLength(1);
      const text: string = r.accepted[0].body.markdown.text;
      expect(r.accepted[0].body.markdown.title).toBe(message.title);
      expect(text).toContain('feat-login');
      expect(text).toContain('Rule: degraded');
      expect(text).toContain('game: 0/1 ready');
      expect(text).toContain(
        '(https://portal.example/environments/feat-login)',
      );
      // A wrong secret is refused as DingTalk refuses it: HTTP 200, errcode 310000.
      expect(await send({ ...ch, secret: 'SECwrong' }, 2)).toBe(false);
      expect(r.requests).toHaveLength(3);
      expect(r.accepted).toHaveLength(1);
    } finally {
      await r.close();
    }
  });

  it('Feishu: a signed interactive card the bot accepts', async () => {
    const r = await receiver(feishuService('fs-secret'));
    try {
      const ch: ChannelSettings = {
        name: 'lark',
        type: 'feishu',
        url: `${r.base}/open-apis/bot/v2/hook/abc`,
        secret: 'fs-secret',
        default: false,
      };
      expect(await send(ch)).toBe(true);
      expect(r.accepted).toHaveLength(1);
      const card = r.accepted[0].body.card;
      expect(card.header.title.content).toBe(message.title);
      expect(card.header.template).toBe('red');
      expect(card.elements[0].content).toContain('game: 0/1 ready');
      expect(card.elements[0].content).toContain(message.link);
      expect(
        await deliver(
          ch,
          {
            ...message,
            kind: 'resolved',
            title: 'Environment feat-login recovered',
          },
          { logger, attempts: 1 },
        ),
      ).toBe(true);
      expect(r.accepted[1].body.card.header).toMatchObject({
        title: { content: 'Resolved: Environment feat-login recovered' },
        template: 'green',
      });
      expect(await send({ ...ch, secret: 'other' })).toBe(false);
      expect(r.accepted).toHaveLength(2);
    } finally {
      await r.close();
    }
  });

  it('WeCom: a markdown message to the key in the URL', async () => {
    const r = await receiver(wecomService('k-123'));
    try {
      const ch: ChannelSettings = {
        name: 'wecom',
        type: 'wecom',
        url: `${r.base}/cgi-bin/webhook/send?key=k-123`,
        default: false,
      };
      expect(await send(ch)).toBe(true);
      const content: string = r.accepted[0].body.markdown.content;
      expect(content).toContain(`**${message.title}**`);
      expect(content).toContain(
        `[Open feat-login in the portal](${message.link})`,
      );
      expect(
        await send({ ...ch, url: `${r.base}/cgi-bin/webhook/send?key=nope` }),
      ).toBe(false);
      expect(r.accepted).toHaveLength(1);
    } finally {
      await r.close();
    }
  });

  it('Slack: text and blocks, with the link', async () => {
    const r = await receiver(slackService());
    try {
      const ch: ChannelSettings = {
        name: 'slack',
        type: 'slack',
        url: `${r.base}/services/T0/B0/x`,
        default: false,
      };
      expect(await send(ch)).toBe(true);
      const body = r.accepted[0].body;
      expect(body.text).toBe(message.title);
      expect(JSON.stringify(body.blocks)).toContain(
        `<${message.link}|Open feat-login in the portal>`,
      );
      expect(JSON.stringify(body.blocks)).toContain('*Rule*\\ndegraded');
    } finally {
      await r.close();
    }
  });

  it('retries a failing service a bounded number of times, then gives up without throwing', async () => {
    let calls = 0;
    const r = await receiver(() =>
      ++calls < 3 ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' },
    );
    try {
      const ch: ChannelSettings = {
        name: 'slack',
        type: 'slack',
        url: `${r.base}/hook`,
        default: false,
      };
      // Two attempts are not enough; three are.
      expect(await send(ch, 2)).toBe(false);
      expect(r.requests).toHaveLength(2);
      expect(await send(ch, 3)).toBe(true);
      expect(r.requests).toHaveLength(3);
      expect(r.accepted).toHaveLength(1);
    } finally {
      await r.close();
    }
    // Nothing listens there any more.
    expect(
      await send(
        { name: 'gone', type: 'wecom', url: r.base, default: false },
        2,
      ),
    ).toBe(false);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('alert channel gone (wecom): gave up'),
    );
  });
});
