// Test runs on the designer page: a test instance of the selected deployed version or of the
// diagram on the canvas (not deployed), with initial data. Its open tasks are completed here
// whoever they are for, its timers fired now, its messages delivered; its path is marked on
// the canvas (done, waiting, incident) with bpmn-js markers and overlays. Test runs are no
// cases: no work list, statistic or lookup meets them, and they are removed after 7 days
// (docs/designers.md, "Test runs").
import { api, bi, el, onLanguage, showProblem, t, when } from "./app.js";

const RUNS = "/api/v1/processes/test-runs";
const MARKS = { done: "run-done", waiting: "run-waiting", incident: "run-incident" };
const BADGES = { done: "✓", waiting: "…", incident: "!" };

/** `designer` gives `selected()` ({key, version}), `open(key, version)` (shows a version on the
 * canvas) and `upload()` (the canvas's diagram as an upload body). */
export function testRunPanel(modeler, designer) {
  const status = document.getElementById("run-status");
  const error = document.getElementById("run-error");
  let run = null;
  let marked = [];

  function parsedData() {
    const text = document.getElementById("run-data").value.trim() || "{}";
    try {
      const data = JSON.parse(text);
      if (data && typeof data === "object" && !Array.isArray(data)) return data;
    } catch {
      // reported below
    }
    throw new Error(t("初始数据须为 JSON 对象，例如 {\"amount\": 800}", "Initial data must be a JSON object, e.g. {\"amount\": 800}"));
  }

  async function act(doing) {
    showProblem(error, null);
    try {
      run = await doing();
      render();
    } catch (failure) {
      showProblem(error, failure, failure.form);
      if (failure.problem?.errors && !failure.form) markErrors(failure.problem.errors);
    }
  }

  function markErrors(errors) {
    const registry = modeler.get("elementRegistry");
    for (const item of errors) if (registry.get(item.field)) mark(item.field, "incident");
  }

  function clearMarks() {
    const canvas = modeler.get("canvas");
    const registry = modeler.get("elementRegistry");
    for (const [id, kind] of marked) if (registry.get(id)) canvas.removeMarker(id, MARKS[kind]);
    marked = [];
    modeler.get("overlays").remove({ type: "test-run" });
  }

  function mark(id, kind) {
    modeler.get("canvas").addMarker(id, MARKS[kind]);
    modeler.get("overlays").add(id, "test-run", { position: { top: -8, right: 8 },
      html: el("span", { class: `run-badge run-badge-${kind}`, title: t(...label(kind)) }, BADGES[kind]) });
    marked.push([id, kind]);
  }

  function label(kind) {
    return { done: ["已完成", "done"], waiting: ["等待中", "waiting"], incident: ["故障", "incident"] }[kind];
  }

  function render() {
    clearMarks();
    const tasks = document.getElementById("run-tasks");
    const waits = document.getElementById("run-waits");
    const steps = document.getElementById("run-steps");
    if (!run) {
      status.textContent = "";
      tasks.replaceChildren();
      waits.replaceChildren();
      steps.replaceChildren();
      return;
    }
    const registry = modeler.get("elementRegistry");
    for (const kind of Object.keys(MARKS)) {
      for (const id of run.path[kind]) if (registry.get(id)) mark(id, kind);
    }
    const version = run.process_version ? `v${run.process_version}` : t("未部署", "not deployed");
    const state = { in_progress: t("进行中", "in progress"), incident: t("故障", "incident"),
      completed: t("已结束", "ended") }[run.status];
    const outcome = run.outcome ? t(`，结果：${bi(run.outcome.name)}`, `, outcome: ${bi(run.outcome.name)}`) : "";
    const incident = run.incident ? t(`，故障于 ${run.incident.element_id}：${run.incident.message}`,
      `, incident at ${run.incident.element_id}: ${run.incident.message}`) : "";
    status.textContent = t(`试运行 ${run.run_id}（${run.process_key} ${version}）${state}${outcome}${incident}；${when(run.expires_at)} 删除。`,
      `Test run ${run.run_id} (${run.process_key} ${version}) ${state}${outcome}${incident}; removed ${when(run.expires_at)}.`);
    tasks.replaceChildren(...run.open_tasks.map(taskForm));
    waits.replaceChildren(...run.waiting_timers.map(timerRow), ...run.waiting_messages.map(messageForm));
    steps.replaceChildren(...run.steps.map((step) => el("li", {},
      `${when(step.at)} ${step.kind} ${step.element_id || ""} — ${step.actor}`)));
  }

  function taskForm(task) {
    const form = el("form", { class: "card run-task", "data-element": task.element_id, novalidate: true },
      el("h3", {}, `${bi(task.name)}`),
      el("p", { class: "hint" }, t(`角色 ${task.role || "—"}，部门 ${task.department || "—"}${task.assignee ? `，办理人 ${task.assignee}` : ""}`,
        `Role ${task.role || "—"}, department ${task.department || "—"}${task.assignee ? `, assignee ${task.assignee}` : ""}`)),
      task.instructions && el("p", { class: "notice instructions" }, task.instructions),
      ...task.form.map((field) => input(task, field)),
      el("button", { type: "submit" }, t("以任意角色完成", "Complete as any role")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(async () => {
        try {
          return await api(`${RUNS}/${run.run_id}/tasks/${task.id}/complete`, { method: "POST",
            body: { data: values(form, task.form) } });
        } catch (failure) {
          failure.form = form;
          throw failure;
        }
      });
    });
    return form;
  }

  function input(task, field) {
    const id = `run-${task.id.slice(0, 8)}-${field.id}`;
    const text = bi(field.label) + (field.required ? " *" : "");
    const common = { id, name: field.id, readonly: field.readonly };
    if (field.type === "boolean") {
      return el("div", {}, el("input", { ...common, type: "checkbox", checked: field.default === true }),
        el("label", { for: id, class: "inline" }, text));
    }
    let control;
    if (field.type === "enum") {
      control = el("select", common, el("option", { value: "" }, "—"),
        field.options.map((option) => el("option", { value: option.id, selected: option.id === field.default }, bi(option.name))));
    } else {
      const type = { long: "number", date: "date" }[field.type] || "text";
      control = el("input", { ...common, type, value: field.default ?? null });
    }
    return el("div", {}, el("label", { for: id }, text), control);
  }

  function values(form, fields) {
    const data = {};
    for (const field of fields) {
      const control = form.elements[field.id];
      if (field.type === "boolean") data[field.id] = control.checked;
      else if (control.value.trim() !== "") data[field.id] = field.type === "long" ? Number(control.value) : control.value.trim();
    }
    return data;
  }

  function timerRow(timer) {
    return el("div", { class: "row" }, el("span", {}, t(`定时 ${bi(timer.name)}，到期 ${when(timer.due_at)}`,
      `Timer ${bi(timer.name)}, due ${when(timer.due_at)}`)),
    el("button", { type: "button", onclick: () => act(() => api(
      `${RUNS}/${run.run_id}/timers/${encodeURIComponent(timer.element_id)}/fire`, { method: "POST" })) },
    t("立即触发", "Fire now")));
  }

  function messageForm(name) {
    const id = `run-message-${name}`;
    const form = el("form", { class: "row" },
      el("div", {}, el("label", { for: id }, t(`消息 ${name} 的数据（JSON）`, `Data of the message ${name} (JSON)`)),
        el("textarea", { id, name: "data", rows: 1 }, "{}")),
      el("button", { type: "submit" }, t(`送达 ${name}`, `Deliver ${name}`)));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(() => api(`${RUNS}/${run.run_id}/messages/${encodeURIComponent(name)}`, { method: "POST",
        body: { data: JSON.parse(form.elements.data.value.trim() || "{}") } }));
    });
    return form;
  }

  document.getElementById("run-version").addEventListener("click", () => act(async () => {
    const { key, version } = designer.selected();
    const data = parsedData();
    await designer.open(key, version);
    return api(RUNS, { method: "POST", body: { process_key: key, version: Number(version), data } });
  }));
  document.getElementById("run-canvas").addEventListener("click", () => act(async () => {
    const data = parsedData();
    return api(RUNS, { method: "POST", body: { ...(await designer.upload()), data } });
  }));
  onLanguage(render);
}
