import { useEffect, useRef } from 'react';
import '@xterm/xterm/css/xterm.css';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import {
  TerminalServerMessage,
  terminalProtocols,
} from '@archipelago/plugin-environments-common';

export type TerminalState =
  | { phase: 'connecting' }
  | { phase: 'open'; ready: Extract<TerminalServerMessage, { type: 'ready' }> }
  | { phase: 'closed'; code: number; reason: string };

/**
 * An xterm.js terminal attached to the backend's terminal socket: keystrokes go out as binary
 * frames, the container's output comes back as binary frames, and every size change of the
 * element is sent as a resize. Unmounting closes the socket, which ends the shell.
 */
export function XTerm(props: {
  url: string;
  token?: string;
  onState: (state: TerminalState) => void;
}) {
  const { url, token, onState } = props;
  const element = useRef<HTMLDivElement>(null);
  const stateRef = useRef(onState);
  stateRef.current = onState;

  useEffect(() => {
    if (!element.current) return undefined;
    const term = new Terminal({
      cursorBlink: true,
      convertEol: false,
      fontFamily: 'Menlo, Consolas, "DejaVu Sans Mono", monospace',
      fontSize: 13,
      scrollback: 5000,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element.current);
    const socket = new WebSocket(url, terminalProtocols(token));
    socket.binaryType = 'arraybuffer';
    const encoder = new TextEncoder();
    let ready = false;
    const sendSize = () => {
      if (!ready || socket.readyState !== WebSocket.OPEN) return;
      socket.send(
        JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }),
      );
    };
    const refit = () => {
      try {
        fit.fit();
      } catch {
        // not laid out yet
      }
    };
    refit();
    stateRef.current({ phase: 'connecting' });
    // A socket the backend never answers (a proxy that drops upgrades, say) must not leave the
    // terminal saying "Connecting…" forever.
    const giveUp = window.setTimeout(() => {
      if (ready) return;
      socket.onclose = null;
      socket.close();
      stateRef.current({
        phase: 'closed',
        code: 4000,
        reason: 'No answer from the backend within 20 s',
      });
    }, 20_000);
    socket.onmessage = event => {
      if (typeof event.data === 'string') {
        const message = JSON.parse(event.data) as TerminalServerMessage;
        if (message.type === 'ready') {
          ready = true;
          window.clearTimeout(giveUp);
          sendSize();
          term.focus();
          stateRef.current({ phase: 'open', ready: message });
        } else if (message.type === 'exit') {
          term.write(`\r\n\x1b[2m[${message.message}]\x1b[0m\r\n`);
        }
        return;
      }
      term.write(new Uint8Array(event.data as ArrayBuffer));
    };
    socket.onclose = event => {
      window.clearTimeout(giveUp);
      stateRef.current({
        phase: 'closed',
        code: event.code,
        reason: event.reason,
      });
    };
    const input = term.onData(data => {
      if (socket.readyState === WebSocket.OPEN)
        socket.send(encoder.encode(data));
    });
    const resized = term.onResize(() => sendSize());
    const observer =
      typeof ResizeObserver === 'undefined'
        ? undefined
        : new ResizeObserver(() => refit());
    observer?.observe(element.current);
    return () => {
      window.clearTimeout(giveUp);
      observer?.disconnect();
      input.dispose();
      resized.dispose();
      socket.onclose = null;
      socket.close(1000, 'closed by the user');
      term.dispose();
    };
  }, [url, token]);

  return (
    <div
      ref={element}
      data-testid="terminal"
      style={{ width: '100%', height: '100%', minHeight: 360 }}
    />
  );
}
