/**
 * A websocket that stays connected: after a server restart or a network drop it reconnects by itself,
 * waiting a little longer after each failed attempt (with jitter, so a room of browsers does not stampede).
 */

export type LiveState = "connecting" | "live" | "reconnecting";

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 10 s, +-20% jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export function wsUrl(path: string, loc: { protocol: string; host: string } = location): string {
  if (/^wss?:\/\//.test(path)) return path;
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}${path.startsWith("/") ? path : `/${path}`}`;
}

export class LiveSocket {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private closed = false;
  private timer: number | undefined;

  constructor(
    private readonly url: string,
    private readonly onMessage: (msg: Record<string, unknown>) => void,
    private readonly onState: (state: LiveState) => void = () => {},
  ) {
    this.connect();
  }

  private connect(): void {
    this.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    const socket = new WebSocket(wsUrl(this.url));
    this.socket = socket;
    socket.onopen = () => {
      const wasReconnect = this.attempt > 0;
      this.attempt = 0;
      this.onState("live");
      // Whatever happened while we were away is fetched once on reconnect.
      if (wasReconnect) this.onMessage({ type: "reconnected" });
    };
    socket.onmessage = (ev) => {
      try {
        this.onMessage(JSON.parse(ev.data));
      } catch (e) {
        console.warn("live: ignored a message that is not JSON", e);
      }
    };
    socket.onclose = () => {
      if (this.closed) return;
      this.onState("reconnecting");
      this.timer = window.setTimeout(() => this.connect(), backoffDelay(this.attempt++));
    };
  }

  /** Send `msg` as JSON if the socket is open (dropped otherwise: a reconnect makes the sender say it again). */
  send(msg: Record<string, unknown>): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.timer);
    this.socket?.close();
  }
}
