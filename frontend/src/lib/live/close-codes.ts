// WebSocket close codes (docs/api.md): 4500–4999 mean "stop, do not
// reconnect"; everything else (1006 network loss, 1012 restart, 4000–4499 …)
// means "reconnect with backoff".

export const CLOSE_TOO_LARGE = 1009;
export const CLOSE_SESSION_GONE = 4500;
export const CLOSE_SESSION_ENDED = 4501;
export const CLOSE_FORBIDDEN = 4503;

export type CloseAction = 'stop' | 'reconnect';

export function closeAction(code: number): CloseAction {
  return code >= 4500 && code <= 4999 ? 'stop' : 'reconnect';
}
