// Catalog management (事项管理): admins create, edit, publish and retire items; process
// designers change an item's process binding (process and version policy). Every rule is the
// service's: a refused change comes back as a 422 naming the field, shown beside it.
import { api, el, onLanguage, showProblem, signIn, t, when } from "./app.js";

const STATUS = { draft: ["草稿", "Draft"], scheduled: ["待生效", "Scheduled"], in_force: ["现行有效", "In force"],
  retired: ["已停止受理", "Retired"] };
const ACTIONS = { seeded: ["初始导入", "Seeded"], created: ["新建", "Created"], edited: ["修改", "Edited"],
  published: ["发布", "Published"], retired: ["停止受理", "Retired"] };
const BINDING = ["process_key", "process_version"];
const NUMBERS = ["legal_limit_days", "promised_limit_days", "visits"];
const TEXTS = ["code", "name_zh", "name_en", "kind", "legal_basis"];

const user = await signIn(["admin", "designer"]);
const isAdmin = user.roles.includes("admin");
const form = document.getElementById("item-form");
const editor = document.getElementById("item-editor");
const itemError = document.getElementById("item-error");
const itemResult = document.getElementById("item-result");
const lifecycleError = document.getElementById("lifecycle-error");
const processSelect = document.getElementById("item-process");
const policySelect = document.getElementById("item-process-version");
let items = [];
let current = null; // the managed item open in the editor; null: a new item
let history = { versions: [], changes: [] };

const say = (pair) => (pair ? t(pair[0], pair[1]) : "—");

/** Today in the hall's calendar, YYYY-MM-DD. */
function hallToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

/** A problem whose fields name list entries (materials.0.code) is shown beside the list. */
function showFieldProblem(target, error, inForm) {
  const problem = error.problem && {
    ...error.problem, errors: (error.problem.errors || []).map((e) => ({ ...e, field: e.field.split(".")[0] })) };
  showProblem(target, problem ? { problem } : error, inForm);
}

function renderItems() {
  document.getElementById("catalog-items").replaceChildren(...items.map((item) => el("tr", {},
    el("td", {}, item.code), el("td", {}, t(item.name_zh, item.name_en)), el("td", {}, item.department),
    el("td", {}, say(STATUS[item.status])), el("td", {}, `v${item.latest_version}`),
    el("td", {}, item.version_in_force ? `v${item.version_in_force}` : "—"),
    el("td", {}, `${item.item.process_key} · ${item.item.process_version ? `v${item.item.process_version}`
      : t("最新版本", "latest")}`),
    el("td", {}, el("button", { type: "button", onclick: () => openItem(item.code) }, t("打开", "Open"))))));
}

function renderHistory() {
  document.getElementById("item-versions").replaceChildren(...history.versions.map((v) => el("tr", {},
    el("td", {}, `v${v.version}`), el("td", {}, v.created_by), el("td", {}, when(v.created_at)),
    el("td", {}, v.changed.join(", ")),
    el("td", {}, v.published_for.map((day) => day || t("初始导入起", "since the seed")).join(", ") || "—"))));
  document.getElementById("item-audit").replaceChildren(...history.changes.map((c) => el("tr", {},
    el("td", {}, when(c.at)), el("td", {}, c.actor), el("td", {}, say(ACTIONS[c.action])),
    el("td", {}, c.version ? `v${c.version}` : "—"),
    el("td", {}, Object.entries(c.changes).map(([name, change]) =>
      `${name}: ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`).join("; ") || "—"))));
}

async function loadItems() {
  items = (await api("/api/v1/catalog/items")).items;
  renderItems();
}

async function loadPolicies(key, pinned) {
  const versions = key ? (await api(`/api/v1/processes/${encodeURIComponent(key)}`)).versions : [];
  policySelect.replaceChildren(el("option", { value: "" }, t("始终使用最新版本", "Always the latest version")),
    ...versions.map((v) => el("option", { value: v.version }, t(`固定为版本 ${v.version}`, `Pinned to version ${v.version}`))));
  policySelect.value = pinned ?? "";
}

async function loadForm() {
  const [departments, processes] = await Promise.all([api("/api/v1/departments"), api("/api/v1/processes")]);
  form.department.replaceChildren(...departments.departments.map((d) =>
    el("option", { value: d.code }, `${t(d.name_zh, d.name_en)} (${d.code})`)));
  processSelect.replaceChildren(...processes.processes.map((p) =>
    el("option", { value: p.key }, `${p.name || p.key} (${p.key})`)));
}

function fill(item) {
  for (const name of [...TEXTS, ...NUMBERS]) form[name].value = item[name] ?? "";
  form.on_the_spot.checked = Boolean(item.on_the_spot);
  form.materials.value = JSON.stringify(item.materials || [], null, 1);
  form.fees.value = JSON.stringify(item.fees || [], null, 1);
  form.conditions.value = (item.conditions || []).join("\n");
  processSelect.value = item.process_key || processSelect.value;
  return loadPolicies(processSelect.value, item.process_version);
}

function parsed(name) {
  try {
    return JSON.parse(form[name].value || "[]");
  } catch {
    throw { problem: { detail: t("JSON 格式有误", "Not valid JSON"),
      errors: [{ field: name, message: t("JSON 格式有误", "not valid JSON") }] } };
  }
}

/** The item's fields as the form holds them. */
function read() {
  const fields = {};
  for (const name of TEXTS) fields[name] = form[name].value.trim();
  for (const name of NUMBERS) fields[name] = form[name].value === "" ? null : Number(form[name].value);
  fields.on_the_spot = form.on_the_spot.checked;
  fields.materials = parsed("materials");
  fields.fees = parsed("fees");
  fields.conditions = form.conditions.value.split("\n").map((line) => line.trim()).filter(Boolean);
  fields.process_key = processSelect.value;
  fields.process_version = policySelect.value === "" ? null : Number(policySelect.value);
  return fields;
}

function lockForRole() {
  for (const control of form.querySelectorAll("input, select, textarea")) {
    const binding = BINDING.includes(control.name);
    control.disabled = (!isAdmin && !binding) || (current !== null && ["code", "department"].includes(control.name));
  }
  document.getElementById("new-item").hidden = !isAdmin;
  for (const id of ["publish-form", "retire-form"]) document.getElementById(id).hidden = !isAdmin || !current;
}

async function loadHistory(code) {
  const [versions, audit] = await Promise.all([api(`/api/v1/catalog/items/${code}/versions`),
    api(`/api/v1/catalog/items/${code}/audit`)]);
  history = { versions: versions.versions, changes: audit.changes };
  document.getElementById("publish-version").replaceChildren(...[...history.versions].reverse().map((v) =>
    el("option", { value: v.version }, `v${v.version}`)));
  renderHistory();
}

function showTitle() {
  document.getElementById("item-title").textContent = current
    ? `${current.code} · ${t(current.name_zh, current.name_en)} · ${say(STATUS[current.status])}`
    : t("新建事项", "New item");
}

async function openItem(code) {
  current = await api(`/api/v1/catalog/items/${code}`);
  editor.hidden = false;
  document.getElementById("item-lifecycle").hidden = false;
  form.department.value = current.department;
  showProblem(itemError, null, form);
  itemResult.textContent = "";
  showTitle();
  await fill(current.item);
  lockForRole();
  await loadHistory(code);
  editor.dataset.opened = `${code}:${current.latest_version}`;
}

async function newItem() {
  current = null;
  editor.hidden = false;
  document.getElementById("item-lifecycle").hidden = true;
  form.reset();
  showTitle();
  await fill({ kind: "promised", materials: [], fees: [], conditions: [], process_version: null });
  lockForRole();
  form.code.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  showProblem(itemError, null, form);
  itemResult.textContent = "";
  try {
    const fields = read();
    let answer;
    let done;
    if (current) {
      const names = isAdmin ? Object.keys(fields).filter((name) => name !== "code") : BINDING;
      const changes = Object.fromEntries(names.filter((name) =>
        JSON.stringify(fields[name]) !== JSON.stringify(current.item[name] ?? null)).map((name) => [name, fields[name]]));
      answer = await api(`/api/v1/catalog/items/${current.code}`, { method: "PATCH", body: changes });
      done = answer.created ? t(`已保存为版本 ${answer.latest_version}，发布后生效。`,
        `Saved as version ${answer.latest_version}; it serves applications once published.`)
        : t("没有变更。", "Nothing changed.");
    } else {
      answer = await api("/api/v1/catalog/items", { method: "POST", body: { department: form.department.value, ...fields } });
      done = t("已新建（草稿），发布后受理申请。", "Created as a draft; it serves applications once published.");
    }
    await loadItems();
    await openItem(answer.code);
    itemResult.textContent = done;
  } catch (failure) {
    showFieldProblem(itemError, failure, form);
  }
});

async function lifecycle(formId, path, body) {
  showProblem(lifecycleError, null, document.getElementById(formId));
  try {
    await api(`/api/v1/catalog/items/${current.code}/${path}`, { method: "POST", body });
    await loadItems();
    await openItem(current.code);
  } catch (failure) {
    showProblem(lifecycleError, failure, document.getElementById(formId));
  }
}

document.getElementById("publish-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const target = event.currentTarget;
  lifecycle("publish-form", "publication", { effective_from: target.effective_from.value,
    version: Number(target.version.value) });
});
document.getElementById("retire-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const target = event.currentTarget;
  lifecycle("retire-form", "retirement", { effective_from: target.effective_from.value,
    ...(target.reason.value.trim() ? { reason: target.reason.value.trim() } : {}) });
});
processSelect.addEventListener("change", () => loadPolicies(processSelect.value, null));
document.getElementById("new-item").addEventListener("click", newItem);
for (const id of ["publish-date", "retire-date"]) {
  document.getElementById(id).value = hallToday();
  document.getElementById(id).min = hallToday();
}
onLanguage(() => {
  renderItems();
  renderHistory();
  if (!editor.hidden) showTitle();
});

await loadForm();
await loadItems();
lockForRole();
