// The live feed of one auction (GET /ws/auctions/{id}): reconnects by itself and resumes
// with ?after=<last position>, so every change arrives exactly once and in order.

const CLOSE_NOT_FOUND = 4404;
const CLOSE_BAD_REQUEST = 4400;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export class LiveFeed {
  /**
   * onMessage(message): every message in order (the first of each connection is a snapshot).
   * onState(state): "connecting", "live", "reconnecting" (with the delay in ms) or "gone".
   */
  constructor(auctionId, { onMessage, onState = () => {} }) {
    this.auctionId = auctionId;
    this.onMessage = onMessage;
    this.onState = onState;
    this.position = null;
    this.socket = null;
    this.attempts = 0;
    this.timer = null;
    this.stopped = false;
    this.connections = 0;
    this._online = () => this.resync();
    window.addEventListener("online", this._online);
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const after = this.position === null ? "" : `?after=${this.position}`;
    return `${scheme}//${location.host}/ws/auctions/${encodeURIComponent(this.auctionId)}${after}`;
  }

  start() {
    this.stopped = false;
    this._connect();
  }

  /** Reconnect now (after a wake-up, a clock jump, the network coming back): a fresh snapshot follows. */
  resync() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.attempts = 0;
    const old = this.socket;
    this.socket = null;
    if (old) {
      old.onclose = null;
      old.close(1000, "resync");
    }
    this._connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this._online);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close(1000, "page closed");
      this.socket = null;
    }
  }

  _connect() {
    if (this.stopped) return;
    this.onState("connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.connections += 1;
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "snapshot") {
        this.attempts = 0;
        this.onState("live");
      } else if (this.position !== null && message.position <= this.position) {
        return; // already seen (cannot happen with ?after, but a duplicate must never count twice)
      }
      if (typeof message.position === "number") this.position = Math.max(this.position ?? 0, message.position);
      this.onMessage(message);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      if (event.code === CLOSE_NOT_FOUND || event.code === CLOSE_BAD_REQUEST) {
        this.stopped = true;
        this.onState("gone", event.reason);
        return;
      }
      this._retry();
    };
  }

  _retry() {
    if (this.stopped) return;
    // Exponential backoff with jitter, so that many pages do not all come back at the same instant.
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempts);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.attempts += 1;
    this.onState("reconnecting", delay);
    this.timer = setTimeout(() => this._connect(), delay);
  }
}
