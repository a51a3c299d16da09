// Electronic supervision: warnings by level and department, accountability records to
// acknowledge and close, complaints and bad reviews with their deadlines, the key rates.
import { api, el, onLanguage, showProblem, signIn, t, when } from "./app.js";

const error = document.getElementById("supervision-error");
const data = { stats: null, warnings: [], records: [], complaints: [], reviews: [] };
const percent = (rate) => (rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`);
const LEVEL = { red: ["红牌", "red"], yellow: ["黄牌", "yellow"], green: ["正常", "green"] };

function badge(level) {
  return level ? el("span", { class: `badge level-${level}` }, t(...(LEVEL[level] || [level, level]))) : "—";
}

function action(record) {
  const step = record.status === "open" ? "acknowledge" : record.status === "acknowledged" ? "close" : null;
  if (!step) return record.resolution || "—";
  const label = step === "acknowledge" ? t("确认", "Acknowledge") : t("办结", "Close");
  return el("button", { type: "button", class: "secondary", onclick: async () => {
    const body = step === "close" ? { resolution: prompt(t("处理结果", "Resolution")) || "" } : undefined;
    try {
      await api(`/api/v1/supervision/accountability/${record.case_no}/${step}`, { method: "POST", body });
      await load();
    } catch (failure) {
      showProblem(error, failure);
    }
  } }, label);
}

function render() {
  const hall = data.stats?.hall;
  document.getElementById("rates").replaceChildren(...(hall ? [
    el("dt", {}, t("限时办结率", "On-time rate")), el("dd", { id: "on-time-rate" }, percent(hall.on_time_rate)),
    el("dt", {}, t("满意率", "Satisfaction rate")), el("dd", {}, percent(hall.satisfaction_rate)),
    el("dt", {}, t("受理件数", "Cases submitted")), el("dd", {}, hall.submitted),
    el("dt", {}, t("办结件数", "Cases decided")), el("dd", {}, hall.decided),
    el("dt", {}, t("平均等候", "Average wait")), el("dd", {}, t("见排队统计仪表盘", "on the queue dashboard")),
  ] : []));
  const none = (n) => el("tr", {}, el("td", { colspan: n, class: "hint" }, t("暂无", "None")));
  const warnings = data.warnings.map((w) => el("tr", { class: `level-${w.level}` }, el("td", {}, badge(w.level)),
    el("td", {}, `${w.case_no} ${w.item_name || ""}`), el("td", {}, w.department), el("td", {}, when(w.deadline)), el("td", {}, w.days_overdue)));
  document.getElementById("warnings").replaceChildren(...(warnings.length ? warnings : [none(5)]));
  const records = data.records.map((r) => el("tr", {}, el("td", {}, r.case_no), el("td", {}, r.department),
    el("td", {}, r.staff || "—"), el("td", {}, r.status), el("td", {}, action(r))));
  document.getElementById("records").replaceChildren(...(records.length ? records : [none(5)]));
  const rows = [
    ...data.complaints.map((c) => el("tr", {}, el("td", {}, c.complaint_no), el("td", {}, c.category),
      el("td", {}, [badge(c.level), " ", c.status]), el("td", {}, when(c.status === "received" ? c.accept_by : c.resolve_by)))),
    ...data.reviews.map((r) => el("tr", {}, el("td", {}, r.case_no), el("td", {}, t(`差评（${r.level} 星）`, `Bad review (${r.level})`)),
      el("td", {}, r.rectification_status || "—"), el("td", {}, when(r.rectify_by)))),
  ];
  document.getElementById("complaints").replaceChildren(...(rows.length ? rows : [none(4)]));
}

async function load() {
  showProblem(error, null);
  const form = document.getElementById("period");
  try {
    const [stats, warnings, records, complaints, reviews] = await Promise.all([
      api("/api/v1/stats", { params: { first_day: form.first_day.value, last_day: form.last_day.value } }),
      api("/api/v1/supervision/warnings"), api("/api/v1/supervision/accountability"),
      api("/api/v1/complaints"), api("/api/v1/evaluations/rectifications")]);
    Object.assign(data, { stats, warnings: warnings.warnings, records: records.records,
                          complaints: complaints.complaints, reviews: reviews.evaluations });
    render();
  } catch (failure) {
    showProblem(error, failure, form);
  }
}

document.getElementById("period").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
onLanguage(render);
await signIn(["supervisor", "admin"]);
load();
