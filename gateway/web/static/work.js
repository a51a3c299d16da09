// The staff work list: tasks of my roles and department, due-date colours, and a task page
// with the case, its materials, what happened so far, the diagram's instructions for the task
// and a form generated from the task's form fields. A form whose enum offers `return` (退回) gets a distinct Return button that
// chooses it and asks for `return_reason`; completing leaves both out. A chief representative
// who accepts an on-the-spot case (首席代表当场办结) is taken straight to its decision, which
// stays theirs: accepting and deciding happen in one sitting.
import { api, bi, el, onLanguage, promisedLimit, showProblem, signIn, t, when } from "./app.js";

const DAY_MS = 86400000;
const RETURN = "return";
const RETURN_REASON = "return_reason";
let user = null;
let tasks = [];
let open = null; // {task, kase, process}

function level(task) {
  if (!task.due_at) return "none";
  const left = new Date(task.due_at).getTime() - Date.now();
  return left < 0 ? "red" : left < DAY_MS ? "yellow" : "green";
}

function dueCell(task) {
  const names = { red: t("已超期", "overdue"), yellow: t("即将到期", "due soon"), green: t("正常", "on time") };
  const lv = level(task);
  return el("td", {}, when(task.due_at), lv !== "none" && [" ", el("span", { class: `badge level-${lv}` }, names[lv])]);
}

function row(task) {
  return el("tr", { class: ["red", "yellow"].includes(level(task)) ? `level-${level(task)}` : null },
    el("td", {}, el("a", { href: `#task-${task.id}`, "data-task": task.id, onclick: (event) => {
      event.preventDefault();
      openTask(task.id);
    } }, task.case_no)),
    el("td", {}, bi(task.name), task.on_the_spot && [" ", el("span", { class: "badge" }, t("当场办结", "on the spot"))]),
    el("td", {}, `${task.role} · ${task.department}`),
    dueCell(task),
    el("td", {}, when(task.created_at)));
}

function renderList() {
  const mine = tasks.filter((task) => task.assignee === user.username);
  const team = tasks.filter((task) => task.assignee !== user.username);
  const empty = () => el("tr", {}, el("td", { colspan: 5, class: "hint" }, t("暂无", "None")));
  document.getElementById("mine").replaceChildren(...(mine.length ? mine.map(row) : [empty()]));
  document.getElementById("team").replaceChildren(...(team.length ? team.map(row) : [empty()]));
  document.getElementById("work-count").textContent = t(`共 ${tasks.length} 件待办`, `${tasks.length} open tasks`);
}

async function load() {
  const error = document.getElementById("work-error");
  showProblem(error, null);
  try {
    tasks = (await api("/api/v1/tasks", { params: { limit: 200 } })).tasks;
    renderList();
  } catch (failure) {
    showProblem(error, failure);
  }
}

// --- the task page --------------------------------------------------------------------

function input(field) {
  const id = `field-${field.id}`;
  const label = el("label", { for: id }, bi(field.label) + (field.required ? " *" : ""));
  const limits = field.constraints || {};
  const common = { id, name: field.id, required: field.required, "aria-required": field.required ? "true" : null,
    readonly: field.readonly, minlength: limits.minlength, maxlength: limits.maxlength, min: limits.min, max: limits.max };
  const initial = field.default ?? null;
  if (field.id === RETURN_REASON) {
    return el("div", {}, el("label", { for: id }, `${bi(field.label)} ${t("（退回时必填）", "(required to return)")}`),
      el("textarea", { id, name: field.id, rows: 2 }));
  }
  if (field.type === "enum") {
    return el("fieldset", {}, el("legend", {}, bi(field.label) + (field.required ? " *" : "")),
      field.options.filter((option) => option.id !== RETURN).map((option) => el("div", {},
        el("input", { type: "radio", id: `${id}-${option.id}`, name: field.id, value: option.id, required: field.required,
          checked: option.id === initial, disabled: field.readonly && option.id !== initial }),
        el("label", { for: `${id}-${option.id}`, class: "inline" }, bi(option.name)))));
  }
  if (field.type === "boolean") {
    return el("div", {}, el("input", { ...common, type: "checkbox", required: false, checked: initial === true,
      disabled: field.readonly }),
      el("label", { for: id, class: "inline" }, bi(field.label)));
  }
  if (field.type === "long") return el("div", {}, label, el("input", { ...common, type: "number", step: "1", value: initial }));
  if (field.type === "date") return el("div", {}, label, el("input", { ...common, type: "date", value: initial }));
  return el("div", {}, label, el("textarea", { ...common, rows: 2 }, initial));
}

/** The task's data from the form; `returning` chooses `return` in the enum offering it. */
function values(form, fields, returning) {
  const data = {};
  const missing = [];
  for (let field of fields) {
    let value;
    if (field.id === RETURN_REASON && !returning) continue;
    if (returning && field.id === RETURN_REASON) field = { ...field, required: true };
    if (returning && offersReturn(field)) value = RETURN;
    else if (field.type === "enum") value = form.querySelector(`input[name="${field.id}"]:checked`)?.value;
    else if (field.type === "boolean") value = form.elements[field.id].checked;
    else value = form.elements[field.id].value.trim();
    if (field.type === "long" && value !== "") value = Number(value);
    if (value === "" || value === undefined) {
      if (field.required) missing.push({ field: field.id, message: t("必填", "required") });
      continue;
    }
    data[field.id] = value;
  }
  return { data, missing };
}

function offersReturn(field) {
  return field.type === "enum" && field.options.some((option) => option.id === RETURN);
}

/** The return the task's case came back by, from the process's audit trail (its last completion). */
function lastReturn(process) {
  const done = (process?.audit || []).filter((entry) => entry.kind === "task_completed");
  const last = done[done.length - 1];
  return last && Object.values(last.data || {}).includes(RETURN) ? last : null;
}

function renderHistory() {
  const process = open.process;
  const returned = lastReturn(process);
  const notice = document.getElementById("task-returned");
  notice.hidden = !returned;
  if (returned) {
    notice.textContent = t(`已被退回（${returned.actor}，${when(returned.at)}）：${returned.data[RETURN_REASON] || "—"}`,
      `Returned by ${returned.actor} (${when(returned.at)}): ${returned.data[RETURN_REASON] || "—"}`);
  }
  const entries = (process?.audit || []).filter((entry) => entry.kind === "task_completed");
  document.getElementById("task-history").hidden = entries.length === 0;
  document.getElementById("task-history-list").replaceChildren(...entries.map((entry) => el("li", {},
    `${when(entry.at)} — ${entry.element_id} · ${entry.actor}：`,
    Object.entries(entry.data || {}).map(([key, value]) => `${key}=${value}`).join("；"))));
}

function renderTask() {
  if (!open) return;
  const { task, kase } = open;
  document.getElementById("task-title").textContent = `${bi(task.name)} · ${task.case_no}`;
  const c = task.case || {};
  const materials = kase ? kase.materials || [] : [];
  document.getElementById("task-case").replaceChildren(el("dl", { class: "facts" },
    el("dt", {}, t("事项", "Item")), el("dd", {}, `${c.item_name || ""} (${c.item_code || ""})`),
    el("dt", {}, t("申请人", "Applicant")), el("dd", {}, kase ? kase.applicant.name : "—"),
    el("dt", {}, t("类型", "Kind")), el("dd", {}, { immediate: t("即办件", "Immediate"), promised: t("承诺件", "Promised"), joint: t("联办件", "Joint") }[c.kind] || "—",
      c.on_the_spot ? t("（当场办结）", " (decided on the spot)") : ""),
    el("dt", {}, t("承诺时限", "Promised limit")), el("dd", {}, promisedLimit(c.kind, c.promised_limit_days)),
    el("dt", {}, t("提交时间", "Submitted")), el("dd", {}, when(c.submitted_at)),
    el("dt", {}, t("期限", "Due")), el("dd", {}, when(task.due_at)),
    el("dt", {}, t("已交材料", "Materials")), el("dd", { id: "task-materials" }, materials.length ? materials.join("、") : "—"),
    kase && kase.missing_materials?.length > 0 && [el("dt", {}, t("缺少材料", "Missing")), el("dd", {}, (kase.missing_material_names || []).map((m) => (m.name === m.code ? m.name : `${m.name}（${m.code}）`)).join("、"))]));
  renderHistory();
}

async function openTask(id) {
  const section = document.getElementById("task");
  const error = document.getElementById("task-error");
  showProblem(error, null);
  document.getElementById("task-done").textContent = "";
  try {
    const task = await api(`/api/v1/tasks/${encodeURIComponent(id)}`);
    const [kase, process] = await Promise.all([api(`/api/v1/cases/${task.case_no}`).catch(() => null),
      api(`/api/v1/cases/${task.case_no}/process`).catch(() => null)]);
    open = { task, kase, process };
    const form = document.getElementById("task-form");
    form.hidden = false;
    document.getElementById("task-fields").replaceChildren(...task.form.map(input));
    document.getElementById("task-return").hidden = !task.form.some(offersReturn);
    // The diagram's text, shown as written: plain text (textContent), its line breaks kept.
    document.getElementById("task-instructions").hidden = !task.instructions;
    document.getElementById("task-instructions-text").textContent = task.instructions || "";
    renderTask();
    section.hidden = false;
    section.focus();
  } catch (failure) {
    showProblem(document.getElementById("work-error"), failure);
  }
}

async function send(returning) {
  const form = document.getElementById("task-form");
  const error = document.getElementById("task-error");
  const { data, missing } = values(form, open.task.form, returning);
  if (missing.length) {
    showProblem(error, { problem: { detail: returning ? t("退回须写明理由。", "A return needs its reason.")
      : t("请填写必填项。", "Fill in the required fields."), errors: missing } }, form);
    form.querySelector(`[name="${missing[0].field}"]`)?.focus();
    return;
  }
  showProblem(error, null, form);
  try {
    const answer = await api(`/api/v1/tasks/${open.task.id}/complete`, {
      method: "POST", body: { data }, headers: { "Idempotency-Key": `web-${open.task.id}` },
    });
    form.hidden = true;
    document.getElementById("task-done").textContent = returning
      ? t(`已退回。当前环节：${bi(answer.current_step) || "—"}`, `Returned. Now at: ${bi(answer.current_step) || "—"}`)
      : t(`已办理。办件状态：${answer.case_status || "—"}`, `Done. Case status: ${answer.case_status || "—"}`);
    await load();
    continueInTheSameSitting(open.task);
  } catch (failure) {
    showProblem(error, failure, form);
  }
}

/** The next step of the same case kept for me (an on-the-spot decision): opened at once. */
async function continueInTheSameSitting(done) {
  const next = tasks.find((task) => task.case_no === done.case_no && task.assignee === user.username && task.id !== done.id);
  if (!next) return;
  await openTask(next.id);
  document.getElementById("task-done").textContent = t("已受理，请当场决定。", "Accepted: decide it now, in the same sitting.");
}

document.getElementById("task-form").addEventListener("submit", (event) => {
  event.preventDefault();
  send(false);
});
document.getElementById("task-return").addEventListener("click", () => send(true));
document.getElementById("task-close").addEventListener("click", () => {
  document.getElementById("task").hidden = true;
  open = null;
});
document.getElementById("refresh").addEventListener("click", load);
onLanguage(() => {
  if (user) renderList();
  renderTask();
});

user = await signIn();
load();
