// What every page shares: the language switch, staff sign-in, calls to the REST API and
// how its problems (application/problem+json) are shown. Pages import what they need.

const LANG_KEY = "hall.lang";
const TOKEN_KEY = "hall.token";
const TRANSLATED_ATTRS = ["placeholder", "aria-label", "title"];

// --- language -------------------------------------------------------------------------

const asked = new URLSearchParams(location.search).get("lang");
if (asked === "en" || asked === "zh") localStorage.setItem(LANG_KEY, asked);

export function lang() {
  return localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
}

/** The text for the current language. */
export function t(zh, en) {
  return lang() === "en" ? en : zh;
}

/** The API answers labels as "中文 English": the part of the current language. */
export function bi(label) {
  if (!label) return "";
  const match = /^(.*?[^\x00-\x7f][^A-Za-z]*?)\s+([A-Za-z].*)$/.exec(label);
  if (!match) return label;
  return lang() === "en" ? match[2] : match[1];
}

const listeners = [];
export function onLanguage(render) {
  listeners.push(render);
}

/** Static markup carries Chinese as text and English in data-en (data-en-<attr> for attributes). */
export function translate(root = document) {
  const en = lang() === "en";
  for (const node of root.querySelectorAll("[data-en]")) {
    if (node.dataset.zh === undefined) node.dataset.zh = node.textContent;
    node.textContent = en ? node.dataset.en : node.dataset.zh;
  }
  for (const attr of TRANSLATED_ATTRS) {
    for (const node of root.querySelectorAll(`[data-en-${attr}]`)) {
      const keep = `zh${attr.replace("-", "")}`;
      if (node.dataset[keep] === undefined) node.dataset[keep] = node.getAttribute(attr) || "";
      node.setAttribute(attr, en ? node.getAttribute(`data-en-${attr}`) : node.dataset[keep]);
    }
  }
}

function applyLanguage() {
  const en = lang() === "en";
  document.documentElement.lang = en ? "en" : "zh-CN";
  const button = document.getElementById("lang-switch");
  button.textContent = en ? "中文" : "English";
  button.lang = en ? "zh-CN" : "en";
  translate();
  for (const render of listeners) render();
}

// --- the REST API ---------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Call the gateway's API; a problem answer throws ApiError. */
export async function api(path, { method = "GET", body, params, headers = {}, auth = true } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (answer.status === 204) return null;
  const type = answer.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await answer.json() : await answer.text();
  if (!answer.ok) {
    if (answer.status === 401 && auth && token) signOut(false);
    throw new ApiError(answer.status, typeof data === "object" ? data : { title: answer.statusText, detail: data });
  }
  return data;
}

/** Show a problem in `target` (an element with role=alert) and its field errors beside the fields. */
export function showProblem(target, error, form) {
  if (form) for (const old of form.querySelectorAll(".field-error")) old.remove();
  if (!error) {
    target.textContent = "";
    return;
  }
  const problem = error.problem || { detail: String(error.message || error) };
  target.textContent = problem.detail || problem.title || String(error);
  for (const item of problem.errors || []) {
    const field = form && item.field && form.querySelector(`[name="${CSS.escape(item.field.split(".").pop())}"]`);
    if (!field) {
      target.textContent += ` — ${item.field ? item.field + ": " : ""}${item.message}`;
      continue;
    }
    const note = el("p", { class: "field-error", id: `${field.id || field.name}-error` }, item.message);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", note.id);
    field.after(note);
  }
}

// --- staff sign-in --------------------------------------------------------------------

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(escape(atob(part)));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

export function currentUser() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const data = token && claims(token);
  if (!data || data.exp * 1000 < Date.now()) return null;
  return { username: data.sub, roles: data.roles || [], department: data.department };
}

function showUser() {
  const user = currentUser();
  document.getElementById("who").textContent = user ? `${user.username} · ${user.department}` : "";
  document.getElementById("sign-out").hidden = !user;
}

export function signOut(reload = true) {
  sessionStorage.removeItem(TOKEN_KEY);
  showUser();
  if (reload) location.reload();
}

/** Resolve with a signed-in user holding one of `roles` (any role when empty), asking if needed. */
export function signIn(roles = []) {
  const fits = (user) => user && (!roles.length || roles.some((role) => user.roles.includes(role)));
  const user = currentUser();
  if (fits(user)) return Promise.resolve(user);
  const dialog = document.getElementById("sign-in");
  const form = document.getElementById("sign-in-form");
  const error = document.getElementById("sign-in-error");
  const need = document.getElementById("sign-in-need");
  const describeNeed = () => {
    need.textContent = roles.length ? t(`需要角色：${roles.join("、")}`, `Needs the role: ${roles.join(", ")}`) : "";
  };
  describeNeed();
  onLanguage(describeNeed);
  return new Promise((resolve) => {
    form.onsubmit = async (event) => {
      event.preventDefault();
      showProblem(error, null);
      try {
        const answer = await api("/api/v1/auth/token", {
          method: "POST", auth: false,
          body: { username: form.username.value.trim(), password: form.password.value },
        });
        const signed = claims(answer.access_token);
        if (!fits({ roles: signed.roles })) {
          error.textContent = t("该用户没有所需角色。", "This user does not have the role needed here.");
          return;
        }
        sessionStorage.setItem(TOKEN_KEY, answer.access_token);
        form.password.value = "";
        dialog.close();
        showUser();
        resolve(currentUser());
      } catch (failure) {
        showProblem(error, failure);
      }
    };
    dialog.addEventListener("cancel", (event) => event.preventDefault());
    dialog.showModal();
    form.username.focus();
  });
}

// --- small things pages share ---------------------------------------------------------

/** Build an element: el("td", {class: "x"}, "text", child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** An instant in the hall's time zone. */
export function when(iso, withTime = true) {
  if (!iso) return "—";
  const options = { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" };
  if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit", hour12: false });
  return new Intl.DateTimeFormat(lang() === "en" ? "en-CA" : "zh-CN", options).format(new Date(iso));
}

/** When the result comes: an immediate item on the spot, never "0 working days". */
export function promisedLimit(kind, days) {
  if (kind === "immediate" || days === 0) return t("即办件，当场办结", "Immediate: decided on the spot");
  if (days === null || days === undefined) return "—";
  return t(`受理后 ${days} 个工作日`, `${days} working days after acceptance`);
}

export function fen(amount) {
  return `¥${(amount / 100).toFixed(2)}`;
}

document.getElementById("lang-switch").addEventListener("click", () => {
  localStorage.setItem(LANG_KEY, lang() === "en" ? "zh" : "en");
  applyLanguage();
});
document.getElementById("sign-out").addEventListener("click", () => signOut());
for (const link of document.querySelectorAll(".bar nav a")) {
  if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
}
showUser();
applyLanguage();
