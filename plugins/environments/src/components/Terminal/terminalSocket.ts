/*
 * The portal's half of the web terminal's protocol (see the common package's terminal.ts):
 * where to connect, and what a close code means to the person at the keyboard.
 */
import {
  TERMINAL_CLOSE,
  terminalPath,
} from '@archipelago/plugin-environments-common';

/** The WebSocket URL of a pod's terminal, from the backend's base URL (http → ws). */
export function terminalUrl(
  backendBaseUrl: string,
  environment: string,
  pod: string,
  container?: string,
): string {
  return `${backendBaseUrl.replace(/^http/, 'ws')}${terminalPath(
    environment,
    pod,
    container,
  )}`;
}

/** Whether reconnecting can help after this close (a refusal will be refused again). */
export function canReconnect(code: number): boolean {
  return !(
    [TERMINAL_CLOSE.forbidden, TERMINAL_CLOSE.notFound] as number[]
  ).includes(code);
}
