// Electronic supervision: warnings by level and department, accountability records to
// acknowledge and close, complaints and bad reviews with their deadlines and the actions the
// API offers on them, the key rates for a chosen period.
import { api, el, onLanguage, showProblem, signIn, t, when } from "./app.js";

const error = document.getElementById("supervision-error");
const data = { stats: null, warnings: [], records: [], complaints: [], reviews: [], departments: [] };
const percent = (rate) => (rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`);
const pair = (table, key) => (table[key] ? t(...table[key]) : key || "—");
const LEVEL = { red: ["红牌", "red"], yellow: ["黄牌", "yellow"], green: ["正常", "green"] };
const RECORD = { open: ["待确认", "open"], acknowledged: ["已确认，处理中", "acknowledged"], closed: ["已办结", "closed"] };
const COMPLAINT = {
  received: ["已登记", "received"], accepted: ["已受理", "accepted"], rejected: ["不予受理", "rejected"],
  investigating: ["调查中", "investigating"], resolved: ["已处理", "resolved"],
  feedback_given: ["已反馈", "feedback given"], archived: ["已归档", "archived"],
};
const CATEGORY = {
  efficiency: ["办事效率", "Efficiency"], conduct: ["工作作风", "Conduct"], fees: ["收费", "Fees"],
  investor_hotline: ["投资环境“110”", "Investor hotline (110)"], other: ["其他", "Other"],
};
// The complaint's lifecycle as the monitor enforces it (GB/T 36113); a stale step answers 409.
const MOVES = {
  received: [["accepted", "受理", "Accept"], ["rejected", "不予受理", "Reject"]],
  accepted: [["investigating", "开始调查", "Investigate"]],
  investigating: [["resolved", "处理完毕", "Resolve"]],
  resolved: [["feedback_given", "已反馈投诉人", "Feedback given"]],
  feedback_given: [["archived", "归档", "Archive"]],
};
const NOTE_REQUIRED = ["rejected", "resolved", "feedback_given"];
let editing = null; // the inline form shown: {kind, key, step}

function badge(level) {
  return level ? el("span", { class: `badge level-${level}` }, pair(LEVEL, level)) : "—";
}

function departmentName(code) {
  const found = data.departments.find((d) => d.code === code);
  return found ? t(found.name_zh, found.name_en) : code || "—";
}

function due(instant, overdue) {
  return [when(instant), overdue && [" ", el("span", { class: "badge level-red" }, t("已超期", "overdue"))]];
}

function none(columns) {
  return el("tr", {}, el("td", { colspan: columns, class: "hint" }, t("暂无", "None")));
}

// --- inline forms: what an action needs (a resolution, a note) typed beside the row -----

/** A form under a row: `fields` are [name, zh, en, required]; `send(values)` calls the API. */
function inlineForm(id, fields, submit, send) {
  const alert = el("p", { class: "error", role: "alert", id: `${id}-error` });
  const form = el("form", { id, class: "inline-form", novalidate: true },
    fields.flatMap(([name, zh, en, required]) => [
      el("label", { for: `${id}-${name}` }, t(zh, en) + (required ? " *" : "")),
      el("textarea", { id: `${id}-${name}`, name, rows: 2, maxlength: 2000, required, "aria-required": required ? "true" : null }),
    ]),
    alert,
    el("div", { class: "actions" }, el("button", { type: "submit" }, submit),
      el("button", { type: "button", class: "secondary", onclick: () => { editing = null; render(); } }, t("取消", "Cancel"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    const missing = [];
    for (const [name, , , required] of fields) {
      const value = form.elements[name].value.trim();
      if (value) values[name] = value;
      else if (required) missing.push({ field: name, message: t("必填", "required") });
    }
    if (missing.length) {
      showProblem(alert, { problem: { detail: t("请填写必填项。", "Fill in the required fields."), errors: missing } }, form);
      form.elements[missing[0].field].focus();
      return;
    }
    showProblem(alert, null, form);
    try {
      await send(values);
      editing = null;
      await load();
    } catch (failure) {
      showProblem(alert, failure, form);
    }
  });
  return form;
}

function formRow(columns, form) {
  return el("tr", { class: "form-row" }, el("td", { colspan: columns }, form));
}

function opens(kind, key, step, label) {
  return el("button", { type: "button", class: "secondary", "aria-expanded": String(isEditing(kind, key, step)),
                        onclick: () => { editing = { kind, key, step }; render(); focusEditor(); } }, label);
}

function isEditing(kind, key, step) {
  return Boolean(editing && editing.kind === kind && editing.key === key && editing.step === step);
}

function focusEditor() {
  document.querySelector(".inline-form textarea")?.focus();
}

async function act(path, body) {
  showProblem(error, null);
  try {
    await api(path, { method: "POST", body });
    await load();
  } catch (failure) {
    showProblem(error, failure);
  }
}

// --- the tables -------------------------------------------------------------------------

function renderRates() {
  const hall = data.stats?.hall;
  const wait = data.stats?.queue?.average_wait_seconds;
  const minutes = (seconds) => (seconds === null || seconds === undefined ? "—"
    : t(`${Math.floor(seconds / 60)} 分 ${Math.round(seconds % 60)} 秒`, `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`));
  document.getElementById("rates").replaceChildren(...(hall ? [
    el("dt", {}, t("统计期间", "Period")), el("dd", { id: "rates-period" }, `${data.stats.period.first_day} – ${data.stats.period.last_day}`),
    el("dt", {}, t("限时办结率", "On-time rate")), el("dd", { id: "on-time-rate" }, percent(hall.on_time_rate)),
    el("dt", {}, t("一次办结率（当场办结）", "One-visit rate (decided on the spot)")), el("dd", { id: "one-visit-rate" }, percent(hall.one_visit_rate)),
    el("dt", {}, t("满意率", "Satisfaction rate")), el("dd", { id: "satisfaction-rate" }, percent(hall.satisfaction_rate)),
    el("dt", {}, t("平均等候时间", "Average queue wait")), el("dd", { id: "average-wait" }, minutes(wait)),
    el("dt", {}, t("受理件数", "Cases submitted")), el("dd", { id: "cases-submitted" }, hall.submitted),
    el("dt", {}, t("办结件数（按时）", "Cases decided (on time)")), el("dd", { id: "cases-decided" }, `${hall.decided} (${hall.decided_on_time})`),
    el("dt", {}, t("评价数", "Evaluations")), el("dd", {}, hall.evaluations),
  ] : []));
}

function renderWarnings() {
  const department = document.getElementById("warning-department").value;
  const shown = data.warnings.filter((w) => !department || w.department === department);
  document.getElementById("warning-count").textContent = t(`共 ${shown.length} 条预警`, `${shown.length} warnings`);
  document.getElementById("warnings").replaceChildren(...(shown.length ? shown.map((w) => el("tr", { class: `level-${w.level}` },
    el("td", {}, badge(w.level)), el("td", {}, `${w.case_no} ${w.item_name || ""}`), el("td", {}, departmentName(w.department)),
    el("td", {}, when(w.deadline)), el("td", {}, w.days_overdue))) : [none(5)]));
}

function recordAction(record) {
  if (record.status === "open") {
    return el("button", { type: "button", class: "secondary",
                          onclick: () => act(`/api/v1/supervision/accountability/${record.case_no}/acknowledge`) }, t("确认", "Acknowledge"));
  }
  if (record.status === "acknowledged") return opens("record", record.case_no, "close", t("办结", "Close"));
  return record.resolution || "—";
}

function renderRecords() {
  const rows = data.records.flatMap((r) => [
    el("tr", { "data-case": r.case_no }, el("td", {}, `${r.case_no} ${r.item_name || ""}`), el("td", {}, departmentName(r.department)),
      el("td", {}, r.staff || "—"), el("td", {}, r.days_overdue), el("td", {}, pair(RECORD, r.status)), el("td", {}, recordAction(r))),
    isEditing("record", r.case_no, "close") && formRow(6, inlineForm(`close-${r.case_no}`,
      [["resolution", "处理结果", "Resolution", true]], t("办结问责", "Close the record"),
      (values) => api(`/api/v1/supervision/accountability/${r.case_no}/close`, { method: "POST", body: values }))),
  ]).filter(Boolean);
  document.getElementById("records").replaceChildren(...(rows.length ? rows : [none(6)]));
}

function complaintActions(complaint) {
  return (MOVES[complaint.status] || []).map(([to, zh, en]) => (NOTE_REQUIRED.includes(to)
    ? opens("complaint", complaint.complaint_no, to, t(zh, en))
    : el("button", { type: "button", class: "secondary", onclick: () => act(
      `/api/v1/complaints/${complaint.complaint_no}/transitions`, { to }) }, t(zh, en))));
}

function renderComplaints() {
  const rows = data.complaints.flatMap((c) => {
    const dueAt = c.status === "received" ? c.accept_by : c.resolve_by;
    const step = editing?.kind === "complaint" && editing.key === c.complaint_no ? editing.step : null;
    return [
      el("tr", { class: c.level === "red" ? "level-red" : c.level === "yellow" ? "level-yellow" : null, "data-complaint": c.complaint_no },
        el("td", {}, c.complaint_no), el("td", {}, pair(CATEGORY, c.category)), el("td", { class: "content" }, c.content),
        el("td", {}, [badge(c.level), " ", pair(COMPLAINT, c.status)]), el("td", {}, due(dueAt, c.level === "red")),
        el("td", {}, el("div", { class: "actions" }, complaintActions(c)))),
      step && formRow(6, inlineForm(`move-${c.complaint_no}`, [["note", "说明", "Note", true]], t("提交", "Submit"),
        (values) => api(`/api/v1/complaints/${c.complaint_no}/transitions`, { method: "POST", body: { to: step, ...values } }))),
    ];
  }).filter(Boolean);
  document.getElementById("complaints").replaceChildren(...(rows.length ? rows : [none(6)]));
}

function renderReviews() {
  const rows = data.reviews.flatMap((r) => {
    const overdue = r.rectify_by && new Date(r.rectify_by).getTime() < Date.now();
    return [
      el("tr", { class: overdue ? "level-red" : null }, el("td", {}, r.case_no), el("td", {}, t(`${r.level} 星`, `${r.level} of 5`)),
        el("td", { class: "content" }, r.comment || "—"), el("td", {}, due(r.rectify_by, overdue)),
        el("td", {}, opens("review", r.case_no, "rectify", t("整改完成", "Rectified")))),
      isEditing("review", r.case_no, "rectify") && formRow(5, inlineForm(`rectify-${r.case_no}`,
        [["rectification", "整改措施", "What was done", true], ["callback_note", "回访情况", "Call-back to the applicant", true]],
        t("提交整改", "Submit"), (values) => api(`/api/v1/evaluations/${r.case_no}/rectification`, { method: "POST", body: values }))),
    ];
  }).filter(Boolean);
  document.getElementById("reviews").replaceChildren(...(rows.length ? rows : [none(5)]));
}

function renderDepartments() {
  const select = document.getElementById("warning-department");
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...data.departments.map((d) => el("option", { value: d.code }, t(d.name_zh, d.name_en))));
  select.value = chosen;
}

function render() {
  renderDepartments();
  renderRates();
  renderWarnings();
  renderRecords();
  renderComplaints();
  renderReviews();
}

// --- loading ----------------------------------------------------------------------------

async function loadStats() {
  const form = document.getElementById("period");
  const alert = document.getElementById("period-error");
  showProblem(alert, null, form);
  const [first, last] = [form.first_day.value, form.last_day.value];
  if (first && last && first > last) {
    showProblem(alert, { problem: { detail: t("开始日期晚于结束日期。", "The first day is after the last."),
                                    errors: [{ field: "first_day", message: t("应不晚于结束日期", "on or before the last day") }] } }, form);
    return;
  }
  try {
    data.stats = await api("/api/v1/stats", { params: { first_day: first, last_day: last } });
    form.first_day.value ||= data.stats.period.first_day;
    form.last_day.value ||= data.stats.period.last_day;
    renderRates();
  } catch (failure) {
    showProblem(alert, failure, form);
  }
}

async function loadWarnings() {
  const level = document.getElementById("warning-level").value;
  data.warnings = (await api("/api/v1/supervision/warnings", { params: { level } })).warnings;
  renderWarnings();
}

async function load() {
  showProblem(error, null);
  try {
    const [records, complaints, reviews] = await Promise.all([
      api("/api/v1/supervision/accountability"), api("/api/v1/complaints"),
      api("/api/v1/evaluations/rectifications"), loadWarnings(), loadStats()]);
    Object.assign(data, { records: records.records, complaints: complaints.complaints, reviews: reviews.evaluations });
    render();
  } catch (failure) {
    showProblem(error, failure);
  }
}

document.getElementById("period").addEventListener("submit", (event) => {
  event.preventDefault();
  loadStats();
});
document.getElementById("warning-level").addEventListener("change", () => loadWarnings().catch((failure) => showProblem(error, failure)));
document.getElementById("warning-department").addEventListener("change", renderWarnings);
onLanguage(render);
api("/api/v1/departments", { auth: false }).then((answer) => {
  data.departments = answer.departments;
  render();
}).catch(() => {});
await signIn(["supervisor"]);
load();
