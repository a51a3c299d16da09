// The designer's properties panel: what the engine reads from a diagram, edited without XML.
// Every change goes through bpmn-js's own commands (modeling.updateProperties /
// updateModdleProperties on elements made by bpmnFactory with the Camunda moddle descriptor),
// so undo, redo and saving treat it like any change on the canvas. What is written is what
// services/approval/bpmn_engine.py reads: a user task's role and department from its lane's
// name or its first camunda:candidateGroups entry ("role" or "role:department"),
// camunda:dueDate, camunda:formData; a timer's timeDuration / timeDate / timeCycle.
import { el, onLanguage, t } from "./app.js";

const ROLES = ["clerk", "reviewer", "chief", "cashier", "window"];
const FIELD_TYPES = [["string", "文本", "Text"], ["long", "整数", "Whole number"],
  ["boolean", "是/否", "Yes or no"], ["enum", "选项", "Choice"]];
const FIELD_ID = /^[A-Za-z_]\w{0,63}$/;
const DURATION = /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const CYCLE = /^R\d*\/P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const WORKDAYS = /^workdays_deadline\((\d+)\)$/;
// A diagram declaring spiff-arena's namespace is parsed as spiff-arena's: lanes give roles, the
// form is a JSON schema file, and camunda:* is not read.
const SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";

// The ways a time is written: the timer element it goes in, how the panel shows and checks
// it, and the text the engine gets (working days become the calendar's `workdays_deadline(n)`).
const TIME_KINDS = {
  workdays: { tag: "timeDate", zh: "工作日（按大厅日历）", en: "Working days (hall calendar)", placeholder: "3",
    check: (v) => /^\d{1,3}$/.test(v) && Number(v) > 0, write: (v) => `workdays_deadline(${Number(v)})`,
    errorZh: "请输入 1–999 的整数", errorEn: "a whole number from 1 to 999" },
  duration: { tag: "timeDuration", zh: "时长（ISO 8601）", en: "Duration (ISO 8601)", placeholder: "P3D, PT2H",
    check: (v) => DURATION.test(v), write: (v) => v, errorZh: "ISO 8601 时长，如 P3D、PT2H", errorEn: "an ISO 8601 duration such as P3D or PT2H" },
  date: { tag: "timeDate", zh: "日期时间（ISO 8601）", en: "Date and time (ISO 8601)", placeholder: "2027-01-15T17:00:00+08:00",
    check: (v) => DATE.test(v), write: (v) => v, errorZh: "ISO 8601 日期，如 2027-01-15T17:00:00+08:00", errorEn: "an ISO 8601 date such as 2027-01-15T17:00:00+08:00" },
  cycle: { tag: "timeCycle", zh: "循环（ISO 8601）", en: "Cycle (ISO 8601)", placeholder: "R3/PT1H",
    check: (v) => CYCLE.test(v), write: (v) => v, errorZh: "ISO 8601 循环，如 R3/PT1H", errorEn: "an ISO 8601 cycle such as R3/PT1H" },
  expression: { tag: "timeDate", zh: "表达式", en: "Expression", placeholder: "deadline",
    check: (v) => v.trim() !== "", write: (v) => v.trim(), errorZh: "不能为空", errorEn: "must not be empty" },
};
const TIMER_TAGS = ["timeDuration", "timeDate", "timeCycle"];

/** The kind and the value shown for a written time (a timer's text or a due date). */
function readTime(text, tag = "timeDate") {
  const value = (text || "").trim();
  const workdays = WORKDAYS.exec(value);
  if (tag === "timeDate" && workdays) return ["workdays", workdays[1]];
  if (tag === "timeDuration" && DURATION.test(value)) return ["duration", value];
  if (tag === "timeCycle" && CYCLE.test(value)) return ["cycle", value];
  if (tag === "timeDate" && DATE.test(value)) return ["date", value];
  return ["expression", value];
}

/** "role" or "role:department" as the engine splits it. */
function splitGroup(text) {
  const [role, ...department] = (text || "").split(":");
  return [role.trim(), department.join(":").trim()];
}

function joinGroup(role, department) {
  return department ? `${role}:${department}` : role;
}

export function propertiesPanel(modeler, container, { departments }) {
  const modeling = modeler.get("modeling");
  const factory = modeler.get("bpmnFactory");
  const registry = modeler.get("elementRegistry");
  let selected = null;

  const update = (element, properties) => modeling.updateProperties(element, properties);
  const updateModdle = (element, target, properties) => modeling.updateModdleProperties(element, target, properties);

  function problem(input, message) {
    container.querySelector(`#${input.id}-error`)?.remove();
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `${input.id}-error`);
    input.after(el("p", { class: "field-error", id: `${input.id}-error` }, message));
  }

  function field(id, label, control, hint) {
    control.id = id;
    return el("div", { class: "prop" }, el("label", { for: id }, label), control,
      hint ? el("p", { class: "hint" }, hint) : null);
  }

  function textInput(value, onChange, attrs = {}) {
    const input = el("input", { value: value ?? "", ...attrs });
    input.addEventListener("change", () => onChange(input.value.trim(), input));
    return input;
  }

  function select(options, value, onChange) {
    const control = el("select", {}, options.map(([optionValue, label]) =>
      el("option", { value: optionValue, selected: optionValue === value }, label)));
    control.addEventListener("change", () => onChange(control.value, control));
    return control;
  }

  // --- name ------------------------------------------------------------------------------

  function nameSection(element) {
    const bo = element.businessObject;
    if (!bo.$descriptor.propertiesByName.name) return []; // e.g. a text annotation: it has text, no name
    const parts = [field("prop-name", t("名称", "Name"), textInput(bo.name, (name) => update(element, { name: name || undefined })))];
    const process = bo.processRef;
    if (element.type === "bpmn:Participant" && process) {
      parts.push(field("prop-process-name", t("流程名称", "Process name"),
        textInput(process.name, (name) => updateModdle(element, process, { name: name || undefined }))));
    }
    return parts;
  }

  // --- role and department ----------------------------------------------------------------

  function laneOf(bo) {
    return registry.find((candidate) => candidate.type === "bpmn:Lane" &&
      (candidate.businessObject.flowNodeRef || []).includes(bo)) || null;
  }

  function departmentOptions(current) {
    const known = departments().map((d) => [d.code, `${t(d.name_zh, d.name_en || d.name_zh)} (${d.code})`]);
    if (current && !known.some(([code]) => code === current)) known.push([current, current]);
    return [["", t("事项所属部门", "The item's department")], ...known];
  }

  /** Role and department of a lane (its name) or of a task outside lanes (candidateGroups). */
  function roleSection(element, owner) {
    const bo = element.businessObject;
    const lane = owner === "lane" ? element : null;
    const groups = lane ? [] : (bo.get("camunda:candidateGroups") || "").split(",").map((g) => g.trim()).filter(Boolean);
    const [role, department] = splitGroup(lane ? bo.name : groups[0]);
    const write = (newRole, newDepartment) => {
      const group = newRole ? joinGroup(newRole, newDepartment) : "";
      if (lane) update(element, { name: group || undefined });
      else update(element, { "camunda:candidateGroups": [group, ...groups.slice(1)].filter(Boolean).join(",") || undefined });
    };
    const roleInput = textInput(role, (value, input) => {
      if (value && !/^[A-Za-z_][\w-]*$/.test(value)) return problem(input, t("角色为英文标识，如 reviewer", "a role is a name such as reviewer"));
      write(value, department);
    }, { list: "prop-roles", autocomplete: "off" });
    const departmentSelect = select(departmentOptions(department), department, (value) => write(role, value));
    departmentSelect.disabled = !role;
    return [
      el("datalist", { id: "prop-roles" }, ROLES.map((r) => el("option", { value: r }))),
      field("prop-role", t("角色", "Role"), roleInput),
      field("prop-department", t("部门", "Department"), departmentSelect,
        role ? null : t("先填写角色。", "Set the role first.")),
    ];
  }

  function taskRoleSection(element) {
    const lane = laneOf(element.businessObject);
    if (!lane) return roleSection(element, "task");
    return [
      el("p", { class: "hint", id: "prop-lane-note" }, t(
        `角色与部门取自泳道「${lane.businessObject.name || lane.id}」：修改作用于该泳道内的所有任务。`,
        `Role and department come from the lane “${lane.businessObject.name || lane.id}”: a change applies to every task in it.`)),
      ...roleSection(lane, "lane"),
    ];
  }

  // --- times: due dates and timers --------------------------------------------------------

  function timeEditor(prefix, kinds, [kind, value], write, { optional = false } = {}) {
    const options = kinds.map((k) => [k, t(TIME_KINDS[k].zh, TIME_KINDS[k].en)]);
    if (optional) options.unshift(["", t("无", "None")]);
    const kindSelect = select(options, kind, (newKind) => {
      const valueInput = container.querySelector(`#${prefix}-value`);
      if (!newKind) return write(null);
      // Keep what was typed if it suits the new kind; otherwise wait for a value. An expression
      // accepts any text, so a value typed for another kind (a number of working days, a
      // duration) is never taken for one: the designer writes the expression anew.
      const typed = valueInput.value.trim();
      if (newKind !== "expression" && TIME_KINDS[newKind].check(typed)) write(newKind, typed);
      else {
        valueInput.disabled = false;
        valueInput.placeholder = TIME_KINDS[newKind].placeholder;
        valueInput.dataset.kind = newKind;
        valueInput.focus();
      }
    });
    const valueInput = textInput(value, (text, input) => {
      const chosen = input.dataset.kind;
      if (!TIME_KINDS[chosen].check(text)) return problem(input, t(TIME_KINDS[chosen].errorZh, TIME_KINDS[chosen].errorEn));
      write(chosen, text);
    }, { placeholder: kind ? TIME_KINDS[kind].placeholder : "", "data-kind": kind || "", disabled: !kind });
    return [
      field(`${prefix}-kind`, t("方式", "Kind"), kindSelect),
      field(`${prefix}-value`, t("值", "Value"), valueInput,
        kind === "workdays" ? t("从开始计时起算的工作日数（按大厅日历，调休上班日计入）。", "Working days from when the timer starts (hall calendar; make-up working days count).") : null),
    ];
  }

  function dueDateSection(element) {
    const text = element.businessObject.get("camunda:dueDate");
    const [kind] = text ? readTime(text) : [""];
    const current = kind === "date" ? readTime(text) : [text ? "expression" : "", text || ""];
    // No working days here: the engine evaluates a due date again whenever it saves the case,
    // so `workdays_deadline(n)` would slide; a flow fixes its limit once in a variable (`deadline`).
    return [el("h3", {}, t("办理期限", "Due date")),
      ...timeEditor("prop-due", ["expression", "date"], current, (kind, value) =>
        update(element, { "camunda:dueDate": kind ? TIME_KINDS[kind].write(value) : undefined }), { optional: true })];
  }

  function timerSection(element, timer) {
    const tag = TIMER_TAGS.find((name) => timer[name]) || "timeDuration";
    const current = timer[tag] ? readTime(timer[tag].body, tag) : ["duration", ""];
    return [el("h3", {}, t("定时", "Timer")),
      ...timeEditor("prop-timer", ["duration", "workdays", "date", "cycle", "expression"], current, (kind, value) => {
        const properties = Object.fromEntries(TIMER_TAGS.map((name) => [name, undefined]));
        properties[TIME_KINDS[kind].tag] = factory.create("bpmn:FormalExpression", { body: TIME_KINDS[kind].write(value) });
        updateModdle(element, timer, properties);
      })];
  }

  // --- form fields --------------------------------------------------------------------------

  function formDataOf(bo) {
    return (bo.extensionElements?.values || []).find((value) => value.$instanceOf("camunda:FormData"));
  }

  function ensureFormData(element) {
    const bo = element.businessObject;
    if (!bo.extensionElements) update(element, { extensionElements: factory.create("bpmn:ExtensionElements", { values: [] }) });
    let data = formDataOf(bo);
    if (!data) {
      data = factory.create("camunda:FormData", { fields: [] });
      updateModdle(element, bo.extensionElements, { values: [...bo.extensionElements.values, data] });
    }
    return data;
  }

  const isRequired = (formField) => (formField.validation?.constraints || []).some((c) => c.name === "required");

  function setRequired(element, formField, required) {
    const others = (formField.validation?.constraints || []).filter((c) => c.name !== "required");
    const constraints = required ? [...others, factory.create("camunda:Constraint", { name: "required" })] : others;
    updateModdle(element, formField, {
      validation: constraints.length ? factory.create("camunda:Validation", { constraints }) : undefined });
  }

  function optionEditor(element, formField, n) {
    const values = formField.values || [];
    const rows = values.map((option, i) => el("div", { class: "prop-option" },
      field(`prop-field-${n}-option-${i}-id`, t("选项值", "Value"), textInput(option.id, (id, input) => {
        if (!FIELD_ID.test(id)) return problem(input, t("英文标识，如 pass", "a name such as pass"));
        updateModdle(element, option, { id });
      })),
      field(`prop-field-${n}-option-${i}-name`, t("显示名称", "Shown as"),
        textInput(option.name, (name) => updateModdle(element, option, { name: name || undefined }))),
      el("button", { type: "button", class: "secondary", id: `prop-field-${n}-option-${i}-remove`,
        onclick: () => updateModdle(element, formField, { values: values.filter((v) => v !== option) }) },
        t(`删除选项 ${option.id}`, `Remove option ${option.id}`))));
    return el("fieldset", {}, el("legend", {}, t("选项", "Options")), rows,
      el("button", { type: "button", class: "secondary", id: `prop-field-${n}-add-option`, onclick: () => {
        const taken = new Set(values.map((v) => v.id));
        let i = values.length + 1;
        while (taken.has(`option_${i}`)) i += 1;
        updateModdle(element, formField, { values: [...values, factory.create("camunda:Value", { id: `option_${i}`, name: `选项 ${i}` })] });
      } }, t("添加选项", "Add an option")));
  }

  function formSection(element) {
    const data = formDataOf(element.businessObject);
    const fields = data?.fields || [];
    const editors = fields.map((formField, n) => el("fieldset", { class: "prop-field" },
      el("legend", {}, t(`字段 ${n + 1}：${formField.id}`, `Field ${n + 1}: ${formField.id}`)),
      field(`prop-field-${n}-id`, t("字段标识", "Field id"), textInput(formField.id, (id, input) => {
        if (!FIELD_ID.test(id)) return problem(input, t("以字母开头的英文标识，如 site_check", "a name starting with a letter, such as site_check"));
        if (fields.some((other) => other !== formField && other.id === id)) return problem(input, t("该标识已被使用", "another field has this id"));
        updateModdle(element, formField, { id });
      })),
      field(`prop-field-${n}-label`, t("标签", "Label"),
        textInput(formField.label, (label) => updateModdle(element, formField, { label: label || undefined }))),
      field(`prop-field-${n}-type`, t("类型", "Type"), select(FIELD_TYPES.map(([v, zh, en]) => [v, t(zh, en)]),
        formField.type || "string", (type) => updateModdle(element, formField, { type, values: type === "enum" ? formField.values : [] }))),
      el("div", { class: "prop-check" },
        el("input", { type: "checkbox", id: `prop-field-${n}-required`, checked: isRequired(formField),
          onchange: (event) => setRequired(element, formField, event.target.checked) }),
        el("label", { for: `prop-field-${n}-required`, class: "inline" }, t("必填", "Required"))),
      formField.type === "enum" ? optionEditor(element, formField, n) : null,
      el("button", { type: "button", class: "secondary", id: `prop-field-${n}-remove`,
        onclick: () => updateModdle(element, data, { fields: fields.filter((f) => f !== formField) }) },
        t(`删除字段 ${formField.id}`, `Remove field ${formField.id}`))));
    return [el("h3", {}, t("表单字段", "Form fields")), ...editors,
      el("button", { type: "button", id: "prop-add-field", onclick: () => {
        const formData = ensureFormData(element);
        const taken = new Set(formData.fields.map((f) => f.id));
        let i = formData.fields.length + 1;
        while (taken.has(`field_${i}`)) i += 1;
        updateModdle(element, formData, { fields: [...formData.fields,
          factory.create("camunda:FormField", { id: `field_${i}`, label: `字段 ${i}`, type: "string" })] });
      } }, t("添加字段", "Add a field"))];
  }

  // --- the panel ------------------------------------------------------------------------------

  function sections(element) {
    const bo = element.businessObject;
    if (element.type === "bpmn:Lane") return [...roleSection(element, "lane")];
    const parts = [...nameSection(element)];
    const spiff = Object.values(modeler.getDefinitions()?.$attrs || {}).includes(SPIFF);
    if (element.type === "bpmn:UserTask" && spiff) {
      parts.push(el("p", { class: "hint" }, t("spiff-arena 流程图：角色取自泳道，表单是随图上传的 JSON schema 文件，此处不编辑。",
        "A spiff-arena diagram: the role is the lane and the form is the JSON schema file uploaded with it; not edited here.")));
    } else if (element.type === "bpmn:UserTask") {
      parts.push(...taskRoleSection(element), ...dueDateSection(element), ...formSection(element));
    }
    const timer = (bo.eventDefinitions || []).find((definition) => definition.$instanceOf("bpmn:TimerEventDefinition"));
    if (timer) parts.push(...timerSection(element, timer));
    return parts;
  }

  /** The diagram's elements as a list, so that the keyboard can choose what the mouse clicks. */
  function elementChooser(element) {
    const elements = registry.filter((candidate) => candidate.parent && candidate.type !== "label");
    const options = elements.map((candidate) => [candidate.id,
      `${candidate.businessObject.name ? `${candidate.businessObject.name} · ` : ""}${candidate.id}`]);
    const chooser = select([["", t("— 请选择 —", "— choose —")], ...options], element?.id || "", (id) => {
      const chosen = registry.get(id);
      if (!chosen) return;
      modeler.get("canvas").scrollToElement(chosen);
      modeler.get("selection").select(chosen);
    });
    return field("prop-element", t("元素", "Element"), chooser);
  }

  function render() {
    const focused = container.contains(document.activeElement) ? document.activeElement.id : null;
    const found = selected && registry.get(selected.id);
    const element = found?.parent && found.type !== "label" ? found : null;
    const heading = el("h2", { id: "properties-title" }, t("属性", "Properties"));
    container.replaceChildren(heading, elementChooser(element), ...(element ? sections(element) : [el("p", { class: "hint" },
      t("在图上或列表中选择一个元素，编辑引擎使用的属性。", "Select an element on the diagram or in the list to edit what the engine uses."))]));
    container.dataset.element = element ? element.id : "";
    if (focused) container.querySelector(`#${CSS.escape(focused)}`)?.focus();
  }

  modeler.on("selection.changed", ({ newSelection }) => {
    const [first] = newSelection;
    selected = newSelection.length === 1 ? (first.type === "label" ? first.labelTarget : first) : null;
    render();
  });
  // After a change made here, wait for the focus to settle (Tab moves it on after `change`),
  // then draw the panel again and put the focus back on the control with the same id.
  let pending = null;
  modeler.on("commandStack.changed", () => {
    clearTimeout(pending);
    pending = setTimeout(render, 0);
  });
  modeler.on("import.done", () => {
    selected = null;
    render();
  });
  onLanguage(render);
  render();
}
