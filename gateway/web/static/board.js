// The hall's display board: the last call of every window, people waiting per category,
// live from the queue's event stream (server-sent events), spoken unless muted.
// Ticket numbers start again each day: the board shows the hall day's calls only (the day the
// queue service names, by the platform clock) and clears itself when a new day begins.
import { api, el, lang, onLanguage, t, when } from "./app.js";

const MUTE_KEY = "hall.board.muted";
const WAITING_REFRESH_MS = 10000;

const board = { day: null, windows: new Map(), waiting: {}, categories: {}, latest: null, lastSeq: 0, shown: new Set() };
const SHOWN_KEPT = 500;
let stream = null;

function muted() {
  return localStorage.getItem(MUTE_KEY) === "1";
}

function speak(call) {
  if (muted() || !("speechSynthesis" in window)) return;
  const english = lang() === "en" && call.text_en;
  const utterance = new SpeechSynthesisUtterance(english ? call.text_en : call.text_zh);
  utterance.lang = english ? "en-US" : "zh-CN";
  const voice = speechSynthesis.getVoices().find((v) => v.lang.replace("_", "-").startsWith(utterance.lang.slice(0, 2)));
  if (voice) utterance.voice = voice;
  speechSynthesis.speak(utterance);
}

function announce(call) {
  return t(`请 ${call.number} 号到 ${call.window} 号窗口`, `Number ${call.number}, please go to window ${call.window}`);
}

function dayText(iso) {
  if (!iso) return "";
  const [year, month, day] = iso.split("-").map(Number);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return t(`${year}年${month}月${day}日 星期${"日一二三四五六"[weekday]}`,
    new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "long", year: "numeric", month: "long", day: "numeric" })
      .format(new Date(Date.UTC(year, month - 1, day))));
}

// A new hall day: yesterday's calls leave the board (their numbers are given out again today).
function turnDay(day) {
  if (!day || (board.day && day <= board.day)) return;
  board.day = day;
  board.latest = null;
  for (const w of board.windows.values()) delete w.call;
}

function render() {
  const today = document.getElementById("board-day");
  today.textContent = dayText(board.day);
  if (board.day) today.setAttribute("datetime", board.day);
  const rows = [...board.windows.values()].sort((a, b) => a.number - b.number).map((w) =>
    el("tr", { class: board.latest && w.call && board.latest.seq === w.call.seq ? "fresh" : null },
      el("td", {}, t(`${w.number} 号`, `${w.number}`)),
      el("td", { class: "number" }, w.call ? w.call.number : "—"),
      el("td", {}, w.call ? when(w.call.called_at).split(" ").pop() : "")));
  document.getElementById("windows").replaceChildren(...rows);
  document.getElementById("latest").textContent = board.latest ? announce(board.latest) : "—";
  const waiting = Object.entries(board.waiting).sort().map(([code, count]) => {
    const category = board.categories[code];
    const name = category ? t(category.name_zh, category.name_en) : code;
    return el("li", {}, el("span", {}, `${code} · ${name}`), el("strong", { "data-category": code }, count));
  });
  document.getElementById("waiting").replaceChildren(...waiting);
  const mute = document.getElementById("mute");
  mute.setAttribute("aria-pressed", String(muted()));
  mute.textContent = muted() ? t("🔇 已静音", "🔇 Muted") : t("🔊 语音播报", "🔊 Speaking");
  const state = document.getElementById("link-state");
  state.textContent = state.dataset.state === "live" ? t("实时", "Live") : t("连接中…", "Connecting…");
}

// Windows call at once, so a call can arrive after a later one: each call is shown (and
// spoken) once, and a window keeps showing its newest call.
function apply(call) {
  if (board.shown.has(call.seq) || (board.day && call.day < board.day)) return false;
  if (call.day) turnDay(call.day);
  board.shown.add(call.seq);
  if (board.shown.size > SHOWN_KEPT) board.shown.delete(board.shown.values().next().value);
  board.lastSeq = Math.max(board.lastSeq, call.seq);
  const known = board.windows.get(call.window) || { number: call.window };
  if (!known.call || known.call.seq < call.seq) board.windows.set(call.window, { ...known, call });
  if (!board.latest || board.latest.seq < call.seq) board.latest = call;
  return true;
}

async function load() {
  const answer = await api("/api/v1/queue/board", { auth: false });
  turnDay(answer.day);
  for (const w of answer.windows) {
    if (!w.open) continue;
    board.windows.set(w.number, { number: w.number, call: board.windows.get(w.number)?.call });
  }
  for (const call of [...answer.calls].sort((a, b) => a.seq - b.seq)) apply(call);
  board.waiting = answer.waiting;
  render();
}

function setLinkState(state) {
  document.getElementById("link-state").dataset.state = state;
  document.body.dataset.link = state;
  render();
}

function connect() {
  stream = new EventSource(`/api/v1/queue/board/stream?after=${board.lastSeq}`);
  stream.onopen = () => {
    document.body.dataset.connections = Number(document.body.dataset.connections || 0) + 1;
    setLinkState("live");
    load().catch(() => {});
  };
  stream.addEventListener("call", (event) => {
    const call = JSON.parse(event.data);
    if (!apply(call)) return;
    render();
    speak(call);
    load().catch(() => {});
  });
  // Calls made while this screen was away for more than a minute: shown, not read out.
  stream.addEventListener("missed", (event) => {
    if (apply(JSON.parse(event.data))) render();
  });
  stream.onerror = () => {
    setLinkState("connecting");
    if (stream.readyState === EventSource.CLOSED) {
      // The browser gave up (e.g. the gateway answered an error): try again from the last call.
      setTimeout(connect, 3000);
    }
  };
}

document.getElementById("mute").addEventListener("click", () => {
  localStorage.setItem(MUTE_KEY, muted() ? "0" : "1");
  if (muted() && "speechSynthesis" in window) speechSynthesis.cancel();
  render();
});
document.getElementById("full-screen").addEventListener("click", () => {
  document.documentElement.requestFullscreen?.().catch(() => {});
});
onLanguage(render);

api("/api/v1/queue/setup", { auth: false })
  .then((setup) => {
    for (const category of setup.categories) board.categories[category.code] = category;
    render();
  })
  .catch(() => {});
load().catch(() => {}).finally(connect);
setInterval(() => load().catch(() => {}), WAITING_REFRESH_MS);
