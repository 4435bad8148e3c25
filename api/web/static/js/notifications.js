// The signed-in person's own notices on the auction page: a watch button, and the list of their
// notices, live from /ws/me (the token sent as the first message, never in the URL), resuming after
// the last one seen when the connection comes back. Only the caller's own notices ever arrive here.

import { h } from "./layout.js";
import { currentSession } from "./session.js";

const LABELS = {
  admitted: "You are admitted to bid",
  refused: "Your admission was refused",
  opening: "Bidding is open",
  outbid: "You were outbid",
  closing_soon: "Bidding closes soon",
  extended: "The deadline was extended",
  won: "You won the auction",
  lost: "The auction was won by another bidder",
  closed: "Bidding closed",
  failed: "The auction ended without a sale",
  preempted: "A pre-emption right was exercised",
  payment_due: "Payment due",
  payment_moved: "The payment deadline moved",
  paid: "The price is paid",
  defaulted: "The sale defaulted",
  deposit_due_back: "Your deposit is due back",
  deposit_refunded: "Your deposit was paid back",
  deposit_forfeited: "Your deposit was forfeited",
  suspended: "The auction is suspended",
  resumed: "The auction resumed",
  cancelled: "The auction was cancelled",
};

/** One line of a notice: what it is, and the figure that goes with it. */
export function describe(notice) {
  const label = LABELS[notice.kind] ?? notice.kind;
  const figure = notice.amount ?? notice.price ?? (notice.minutes ? `${notice.minutes} min` : null) ?? notice.closes_at;
  return figure ? `${label}: ${figure}` : label;
}

function auctionId() {
  const match = window.location.pathname.match(/^\/app\/auction\/([^/]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

async function setWatch(id, session, watching) {
  const response = await fetch(`/auctions/${encodeURIComponent(id)}/watch`, {
    method: watching ? "PUT" : "DELETE",
    headers: { Authorization: `Bearer ${session.token}` },
  });
  return response.ok;
}

async function isWatched(id, session) {
  const response = await fetch("/me/watchlist", { headers: { Authorization: `Bearer ${session.token}` } });
  if (!response.ok) return false;
  const body = await response.json();
  return body.auctions.some((entry) => entry.auction === id);
}

function follow(session, list, auction) {
  let after = 0;
  let wait = 1000;
  const connect = () => {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}/ws/me`);
    socket.onopen = () => socket.send(JSON.stringify({ token: session.token, after }));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "ready") wait = 1000;
      if (message.type !== "notification" || message.id <= after) return;
      after = message.id;
      if (message.auction !== auction) return;
      list.prepend(h("li", { class: "notice", dataset: { kind: message.kind }, text: describe(message) }));
      list.hidden = false;
    };
    socket.onclose = (event) => {
      if (event.code === 4401 || event.code === 4400) return; // signed out or refused: no retry
      setTimeout(connect, wait);
      wait = Math.min(wait * 2, 30000);
    };
  };
  connect();
}

function install() {
  const id = auctionId();
  const session = currentSession();
  const anchor = document.getElementById("bidder-panel");
  if (!id || !session || !anchor) return;
  const button = h("button", { type: "button", id: "watch", "aria-pressed": "false", text: "Watch this auction" });
  const list = h("ul", { id: "my-notifications", class: "notices", "aria-live": "polite", hidden: true });
  const panel = h(
    "section",
    { class: "panel", id: "notifications-panel", "aria-labelledby": "notifications-heading" },
    h("h2", { id: "notifications-heading", text: "Your notifications" }),
    button,
    list,
  );
  anchor.after(panel);
  const show = (watching) => {
    button.setAttribute("aria-pressed", String(watching));
    button.textContent = watching ? "Stop watching" : "Watch this auction";
  };
  isWatched(id, session).then(show);
  button.addEventListener("click", async () => {
    const watching = button.getAttribute("aria-pressed") !== "true";
    if (await setWatch(id, session, watching)) show(watching);
  });
  follow(session, list, id);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", install);
else install();
