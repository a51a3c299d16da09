// The applicant's pages: follow a case (and supply materials, evaluate it), the catalog,
// appointments and complaints. Public: nothing here needs an account.
import { api, bi, el, fen, onLanguage, promisedLimit, showProblem, t, when } from "./app.js";

const STATUS = {
  submitted: ["已提交，等待受理", "Submitted, waiting for acceptance"],
  awaiting_supplements: ["等待补正材料", "Waiting for your materials"],
  accepted: ["已受理，办理中", "Accepted, in progress"],
  completed: ["已办结", "Decided"],
  collected: ["已领取", "Collected"],
  refused: ["不予受理", "Refused"],
};
const KIND = { immediate: ["即办件", "Immediate"], promised: ["承诺件", "Promised"], joint: ["联办件", "Joint"] };
const OUTCOME = { approved: ["准予", "Approved"], refused: ["不予批准", "Refused"] };
const pair = (table, key) => (table[key] ? t(...table[key]) : key || "—");

// --- tabs (arrow keys move between them) -----------------------------------------------
const tabs = [...document.querySelectorAll('[role="tab"]')];
function select(tab) {
  for (const other of tabs) {
    const on = other === tab;
    other.setAttribute("aria-selected", String(on));
    other.tabIndex = on ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
}
for (const tab of tabs) {
  tab.addEventListener("click", () => select(tab));
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (step) select(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length]);
  });
}

// --- follow a case -------------------------------------------------------------------
let followed = null; // {case_no, query_code, view}

function renderCase() {
  const box = document.getElementById("case-view");
  if (!followed) return;
  const v = followed.view;
  const missing = v.missing_material_names || [];
  box.hidden = false;
  box.replaceChildren(
    el("h2", {}, `${v.item_name || v.item_code} · ${v.case_no}`),
    el("dl", { class: "facts" },
      el("dt", {}, t("状态", "Status")), el("dd", { id: "case-status" }, pair(STATUS, v.status)),
      (v.outcome || v.outcome_label) && [el("dt", {}, t("结果", "Outcome")),
        el("dd", { id: "case-outcome" }, v.outcome ? pair(OUTCOME, v.outcome) : bi(v.outcome_label))],
      v.decided_on_the_spot && [el("dt", {}, t("办理方式", "How")),
        el("dd", { id: "case-on-the-spot" }, t("首席代表当场办结", "Decided on the spot by the chief representative"))],
      el("dt", {}, t("当前环节", "Current step")), el("dd", { id: "current-step" }, bi(v.current_step) || "—"),
      el("dt", {}, t("等待", "Waiting for")), el("dd", {}, bi(v.awaiting) || "—"),
      el("dt", {}, t("办结期限", "Deadline")), el("dd", {}, when(v.deadline, false)),
      missing.length > 0 && [el("dt", {}, t("需补正材料", "Missing materials")),
        el("dd", { id: "missing-materials" }, missing.map((m) => m.name).join("、"))]),
    el("h3", {}, t("办理进度", "Steps")),
    el("ol", { class: "timeline" }, (v.steps || []).map((s) =>
      el("li", {}, `${when(s.at)} — ${bi(s.label)}${s.step || s.current_step ? `：${bi(s.step || s.current_step)}` : ""}`))));
  const supplements = document.getElementById("supplements");
  supplements.hidden = v.status !== "awaiting_supplements" || missing.length === 0;
  const list = document.getElementById("supplement-list");
  list.replaceChildren(list.querySelector("legend"), ...missing.map((m) =>
    el("div", {}, el("input", { type: "checkbox", id: `supply-${m.code}`, name: "material", value: m.code, checked: true }),
      el("label", { for: `supply-${m.code}`, class: "inline" }, m.name))));
  // 好差评 rates the service received: offered once the case has its result.
  document.getElementById("evaluation").hidden = !v.evaluable;
}

async function lookUp(caseNo, queryCode) {
  const view = await api(`/api/v1/public/cases/${encodeURIComponent(caseNo)}`, { auth: false, params: { query_code: queryCode } });
  followed = { case_no: caseNo, query_code: queryCode, view };
  renderCase();
}

document.getElementById("lookup").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const error = document.getElementById("lookup-error");
  showProblem(error, null, form);
  try {
    await lookUp(form.case_no.value.trim(), form.query_code.value.trim().toUpperCase());
  } catch (failure) {
    followed = null;
    document.getElementById("case-view").hidden = true;
    if (failure.status === 404) error.textContent = t("未找到：请核对办件编号和查询码。", "Not found: check the case number and query code.");
    else showProblem(error, failure, form);
  }
});

document.getElementById("supplements").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("supplements-error");
  const materials = [...event.target.querySelectorAll('input[name="material"]:checked')].map((box) => box.value);
  showProblem(error, null);
  try {
    await api(`/api/v1/public/cases/${followed.case_no}/supplements`, {
      method: "POST", auth: false, body: { query_code: followed.query_code, materials },
    });
    await lookUp(followed.case_no, followed.query_code);
  } catch (failure) {
    showProblem(error, failure);
  }
});

document.getElementById("evaluation").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const error = document.getElementById("evaluation-error");
  showProblem(error, null, form);
  const body = { case_no: followed.case_no, query_code: followed.query_code, level: Number(form.level.value) };
  if (form.comment.value.trim()) body.comment = form.comment.value.trim();
  try {
    await api("/api/v1/evaluations", { method: "POST", auth: false, body });
    form.replaceChildren(el("p", { class: "ok", role: "status" }, t("感谢您的评价。", "Thank you for your rating.")));
  } catch (failure) {
    showProblem(error, failure, form);
  }
});

// --- the catalog ----------------------------------------------------------------------
let departments = [];
let items = null;

function renderCatalog() {
  const select = document.getElementById("catalog-department");
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...departments.map((d) => el("option", { value: d.code }, t(d.name_zh, d.name_en))));
  select.value = chosen;
  if (!items) return;
  document.getElementById("catalog-count").textContent = t(`共 ${items.total} 项`, `${items.total} items`);
  const deptName = (code) => {
    const d = departments.find((x) => x.code === code);
    return d ? t(d.name_zh, d.name_en) : code;
  };
  document.getElementById("catalog-items").replaceChildren(...items.items.map((item) =>
    el("article", { class: "card" },
      el("h2", {}, `${t(item.name_zh, item.name_en)} `, el("span", { class: "badge level-none" }, pair(KIND, item.kind))),
      el("dl", { class: "facts" },
        el("dt", {}, t("事项编码", "Code")), el("dd", {}, item.code),
        el("dt", {}, t("实施部门", "Department")), el("dd", {}, deptName(item.department)),
        el("dt", {}, t("法定时限", "Legal limit")), el("dd", {}, t(`${item.legal_limit_days} 个工作日`, `${item.legal_limit_days} working days`)),
        el("dt", {}, t("承诺时限", "Promised limit")), el("dd", {}, promisedLimit(item.kind, item.promised_limit_days)),
        el("dt", {}, t("收费", "Fees")), el("dd", {}, item.fees.length ? item.fees.map((f) => `${f.name} ${fen(f.amount_fen)}`).join("；") : t("不收费", "Free")),
        el("dt", {}, t("设定依据", "Legal basis")), el("dd", {}, item.legal_basis || "—")),
      el("details", {}, el("summary", {}, t(`申请材料（${item.materials.length}）`, `Materials (${item.materials.length})`)),
        el("ul", {}, item.materials.map((m) => el("li", {}, `${m.name}${m.required ? "" : t("（非必需）", " (optional)")}`)))))));
}

async function search(form) {
  items = await api("/api/v1/items", {
    auth: false, params: { q: form.q.value.trim(), department: form.department.value, kind: form.kind.value, page_size: 50 },
  });
  renderCatalog();
}

document.getElementById("catalog-search").addEventListener("submit", (event) => {
  event.preventDefault();
  search(event.target).catch((failure) => showProblem(document.getElementById("catalog-count"), failure));
});

// --- appointments ---------------------------------------------------------------------
let categories = [];

function renderCategories() {
  const select = document.getElementById("appointment-category");
  const chosen = select.value;
  select.replaceChildren(...categories.map((c) => el("option", { value: c.code }, `${c.code} · ${t(c.name_zh, c.name_en)}`)));
  if (chosen) select.value = chosen;
}

document.getElementById("slots-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const error = document.getElementById("appointment-error");
  showProblem(error, null, form);
  try {
    const answer = await api("/api/v1/queue/appointments/slots", { auth: false, params: { category: form.category.value, day: form.day.value } });
    const free = answer.slots.filter((s) => s.free > 0);
    document.getElementById("appointment-slot").replaceChildren(...free.map((s) =>
      el("option", { value: s.slot }, t(`${s.slot}（余 ${s.free}）`, `${s.slot} (${s.free} free)`))));
    document.getElementById("booking").hidden = free.length === 0;
    if (!free.length) error.textContent = t("该日没有可约时段。", "No free slot that day.");
  } catch (failure) {
    showProblem(error, failure, form);
  }
});

document.getElementById("booking").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const slots = document.getElementById("slots-form");
  const error = document.getElementById("appointment-error");
  showProblem(error, null, form);
  try {
    const booked = await api("/api/v1/queue/appointments", {
      method: "POST", auth: false,
      body: { applicant_id: form.applicant_id.value.trim().toUpperCase(), category: slots.category.value, day: slots.day.value, slot: form.slot.value },
    });
    document.getElementById("appointment-result").textContent = t(
      `预约成功：${booked.day} ${booked.slot}，预约码 ${booked.code}。请在时段前后到大厅取号机签到。`,
      `Booked: ${booked.day} ${booked.slot}, appointment code ${booked.code}. Check in at the kiosk around your slot.`);
  } catch (failure) {
    showProblem(error, failure, form);
  }
});

document.getElementById("cancel-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const error = document.getElementById("appointment-error");
  showProblem(error, null, form);
  try {
    await api(`/api/v1/queue/appointments/${encodeURIComponent(form.code.value.trim().toUpperCase())}/cancel`, {
      method: "POST", auth: false, body: { applicant_id: form.applicant_id.value.trim().toUpperCase() },
    });
    document.getElementById("appointment-result").textContent = t("预约已取消。", "The appointment is cancelled.");
  } catch (failure) {
    showProblem(error, failure, form);
  }
});

// --- complaints -----------------------------------------------------------------------
document.getElementById("complaint").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const error = document.getElementById("complaint-error");
  showProblem(error, null, form);
  const body = { category: form.category.value, content: form.content.value.trim() };
  if (form.case_no.value.trim()) body.case_no = form.case_no.value.trim();
  const complainant = { name: form.name.value.trim(), phone: form.phone.value.trim() };
  for (const key of Object.keys(complainant)) if (!complainant[key]) delete complainant[key];
  if (Object.keys(complainant).length) body.complainant = complainant;
  try {
    const receipt = await api("/api/v1/complaints", { method: "POST", auth: false, body });
    document.getElementById("complaint-result").textContent = t(
      `已受理登记：投诉编号 ${receipt.complaint_no}，查询码 ${receipt.follow_code}。`,
      `Received: complaint ${receipt.complaint_no}, follow code ${receipt.follow_code}.`);
    form.reset();
  } catch (failure) {
    showProblem(error, failure, form);
  }
});

// --- start ----------------------------------------------------------------------------
function renderAll() {
  renderCase();
  renderCatalog();
  renderCategories();
}
onLanguage(renderAll);

const params = new URLSearchParams(location.search);
if (params.get("case_no") && params.get("query_code")) {
  document.getElementById("case-no").value = params.get("case_no");
  document.getElementById("query-code").value = params.get("query_code");
}
document.getElementById("appointment-day").value = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
api("/api/v1/departments", { auth: false }).then((answer) => {
  departments = answer.departments;
  renderCatalog();
}).catch(() => {});
api("/api/v1/queue/setup", { auth: false }).then((setup) => {
  categories = setup.categories;
  renderCategories();
}).catch(() => {});
search(document.getElementById("catalog-search")).catch(() => {});
