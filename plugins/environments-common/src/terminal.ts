/*
 * The web terminal's wire protocol, between the portal and the environments backend. The
 * backend bridges it to the API server's exec (the v5/v4 channel protocol), which browsers
 * cannot speak directly: they cannot send the API server's credentials.
 *
 * - The browser opens a WebSocket to terminalPath(...) on the environments backend, offering
 *   two subprotocols (terminalProtocols): TERMINAL_PROTOCOL, and its Backstage token encoded
 *   as one (browsers cannot set an Authorization header on a WebSocket; Backstage's signals
 *   send the token as a subprotocol too). The backend selects TERMINAL_PROTOCOL.
 * - Browser to backend: binary frames are keystrokes (stdin); text frames are
 *   TerminalClientMessage JSON (a resize).
 * - Backend to browser: binary frames are the container's output; text frames are
 *   TerminalServerMessage JSON. The backend closes the socket with one of TERMINAL_CLOSE's
 *   codes and a reason a person can read.
 */

/** The subprotocol the backend selects; anything else is refused. */
export const TERMINAL_PROTOCOL = 'archipelago.terminal.v1';

/** The prefix of the subprotocol that carries the token, base64url-encoded. */
const TOKEN_PREFIX = 'archipelago.token.';

/**
 * The subprotocols a terminal offers. A subprotocol allows only a few characters, so the
 * token travels base64url-encoded (any token, not only a JWT).
 */
export function terminalProtocols(token?: string): string[] {
  if (!token) return [TERMINAL_PROTOCOL];
  const bytes = new TextEncoder().encode(token);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  const encoded = btoa(binary)
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  return [TERMINAL_PROTOCOL, `${TOKEN_PREFIX}${encoded}`];
}

/** The backend's half of terminalProtocols: whether the terminal is spoken, and the token. */
export function readTerminalProtocols(offered: string[]): {
  speaksTerminal: boolean;
  token?: string;
} {
  const speaksTerminal = offered.includes(TERMINAL_PROTOCOL);
  const carrier = offered.find(p => p.startsWith(TOKEN_PREFIX));
  if (!carrier) return { speaksTerminal };
  try {
    const b64 = carrier
      .slice(TOKEN_PREFIX.length)
      .replace(/-/g, '+')
      .replace(/_/g, '/');
    const binary = atob(b64);
    const bytes = Uint8Array.from(binary, c => c.charCodeAt(0));
    return { speaksTerminal, token: new TextDecoder().decode(bytes) };
  } catch {
    return { speaksTerminal };
  }
}

/** The path of a pod's terminal, relative to the environments backend's base URL. */
export function terminalPath(
  environment: string,
  pod: string,
  container?: string,
): string {
  const path = `/environments/${encodeURIComponent(
    environment,
  )}/pods/${encodeURIComponent(pod)}/terminal`;
  return container
    ? `${path}?container=${encodeURIComponent(container)}`
    : path;
}

/** Browser to backend, as a text frame. */
export type TerminalClientMessage = {
  type: 'resize';
  cols: number;
  rows: number;
};

/** Backend to browser, as a text frame. */
export type TerminalServerMessage =
  | {
      /** The shell runs: what it runs in, and the limits the session is under. */
      type: 'ready';
      environment: string;
      pod: string;
      container: string;
      command: string[];
      /** The session closes after this long without a keystroke. */
      idleTimeoutSeconds: number;
    }
  | {
      /** The shell exited by itself; the exit code when the API server gave one. */
      type: 'exit';
      code?: number;
      message: string;
    };

/**
 * Close codes (4000-4999 are the application's). The reason text says what to do; the portal
 * shows it.
 */
export const TERMINAL_CLOSE = {
  /** The shell exited, or the user closed the terminal. */
  normal: 1000,
  /** No valid Backstage token came with the request. */
  unauthenticated: 4401,
  /** The permission policy refused environments.environment.exec. */
  forbidden: 4403,
  /** No such environment, pod or container, or the pod is not running. */
  notFound: 4404,
  /** No keystroke for environments.terminal.idleTimeout. */
  idle: 4408,
  /** The session ran for environments.terminal.maxDuration. */
  expired: 4409,
  /** The user already has environments.terminal.sessionsPerUser terminals open. */
  tooMany: 4429,
  /** The API server refused or dropped the exec. */
  upstream: 4502,
  /** The backend is shutting down. */
  shutdown: 4503,
} as const;
