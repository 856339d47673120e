/*
 * Slack incoming webhook: `text` (the notification's fallback) and Block Kit `blocks`. It
 * answers HTTP 200 with the text "ok", and an HTTP error with a reason otherwise.
 */
import type { ChannelFormat } from './types';

/** Slack's mrkdwn escapes &, < and >; links are <url|text>. */
const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const slack: ChannelFormat = {
  request(channel, message) {
    const title = `${message.kind === 'resolved' ? 'Resolved: ' : ''}${
      message.title
    }`;
    return {
      url: channel.url,
      body: {
        text: title,
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: `*${escape(title)}*` },
          },
          {
            type: 'section',
            fields: [
              {
                type: 'mrkdwn',
                text: `*Environment*\n${escape(message.environment)}`,
              },
              { type: 'mrkdwn', text: `*Rule*\n${message.rule}` },
            ],
          },
          ...(message.details.length
            ? [
                {
                  type: 'section',
                  text: {
                    type: 'mrkdwn',
                    text: message.details.map(d => `> ${escape(d)}`).join('\n'),
                  },
                },
              ]
            : []),
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: `<${message.link}|Open ${escape(
                message.environment,
              )} in the portal>`,
            },
          },
        ],
      },
    };
  },
  rejection: (status, body) =>
    status >= 200 && status < 300
      ? undefined
      : `HTTP ${status}: ${body.slice(0, 200)}`,
};
