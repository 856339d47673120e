/* The chat formats by channel type, and delivery with bounded retries. */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { dingtalk } from './dingtalk';
import { feishu } from './feishu';
import { slack } from './slack';
import type {
  AlertMessage,
  ChannelFormat,
  ChannelSettings,
  ChannelType,
} from './types';
import { wecom } from './wecom';

export * from './types';

export const FORMATS: Record<ChannelType, ChannelFormat> = {
  dingtalk,
  feishu,
  wecom,
  slack,
};

/**
 * Sends a message to a channel, trying up to `attempts` times with a growing pause. Never
 * throws: a channel that is down must not stop the check of other environments. Answers
 * whether the channel took it.
 */
export async function deliver(
  channel: ChannelSettings,
  message: AlertMessage,
  options: {
    logger: LoggerService;
    attempts: number;
    /** The pause before the second attempt; doubled before each next one. */
    backoffMs?: number;
    timeoutMs?: number;
  },
): Promise<boolean> {
  const format = FORMATS[channel.type];
  let last = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (attempt > 1)
      await new Promise(r =>
        setTimeout(r, (options.backoffMs ?? 1000) * 2 ** (attempt - 2)),
      );
    try {
      // Signed each attempt: the services refuse a timestamp too far from their clock.
      const { url, body } = format.request(channel, message, new Date());
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const text = await res.text();
      const rejected = format.rejection(res.status, text);
      if (!rejected) return true;
      last = rejected;
    } catch (e) {
      last = String(e);
    }
    options.logger.warn(
      `alert channel ${channel.name} (${channel.type}): attempt ${attempt} of ${options.attempts} to send "${message.title}" failed: ${last}`,
    );
  }
  options.logger.error(
    `alert channel ${channel.name} (${channel.type}): gave up sending "${message.title}" after ${options.attempts} attempts: ${last}`,
  );
  return false;
}
