/* What every chat channel sends, and how each format turns it into one webhook request. */
import type { AlertRule } from '../rules';

export const CHANNEL_TYPES = ['dingtalk', 'feishu', 'wecom', 'slack'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** A chat channel as app config gives it (environments.alerts.channels[]). */
export interface ChannelSettings {
  name: string;
  type: ChannelType;
  /** The webhook URL; WeCom's carries its key. */
  url: string;
  /** DingTalk's and Feishu's signing secret, when the robot is set to sign. */
  secret?: string;
  /** Environments that chose no channels send to the channels configured as default. */
  default: boolean;
}

/** One alert, or its resolution, as channels send it. */
export interface AlertMessage {
  environment: string;
  rule: AlertRule;
  kind: 'firing' | 'resolved';
  title: string;
  details: string[];
  /** The environment's page in the portal, absolute. */
  link: string;
}

/** One HTTP request to a webhook: POST with a JSON body. */
export interface WebhookRequest {
  url: string;
  body: unknown;
}

export interface ChannelFormat {
  request(
    channel: ChannelSettings,
    message: AlertMessage,
    now: Date,
  ): WebhookRequest;
  /**
   * Whether the service took the message: these services answer HTTP 200 with an error code
   * in the body for a bad signature or a rate limit. An error's text, or undefined.
   */
  rejection(status: number, body: string): string | undefined;
}

/** The message as markdown lines, shared by the formats that take markdown. */
export function markdownLines(m: AlertMessage): string[] {
  return [
    `**${m.kind === 'resolved' ? 'Resolved: ' : ''}${m.title}**`,
    '',
    `Environment: ${m.environment}`,
    `Rule: ${m.rule}`,
    ...m.details.map(d => `> ${d.replace(/\n/g, ' ')}`),
    '',
    `[Open ${m.environment} in the portal](${m.link})`,
  ];
}

/** The errcode/code bodies DingTalk, Feishu and WeCom answer with. */
export function codeRejection(
  status: number,
  body: string,
  fields: { code: string; message: string },
): string | undefined {
  if (status < 200 || status >= 300)
    return `HTTP ${status}: ${body.slice(0, 200)}`;
  let parsed: any;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `not JSON: ${body.slice(0, 200)}`;
  }
  const code = parsed?.[fields.code] ?? parsed?.StatusCode;
  if (code === 0 || code === undefined) return undefined;
  return `${fields.code} ${code}: ${parsed?.[fields.message] ?? ''}`;
}
