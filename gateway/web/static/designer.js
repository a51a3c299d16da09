// The process designer: the bpmn.io modeler (bpmn-js, served from local assets; its
// watermark stays visible as its licence requires) on the deployed processes. Validating
// (alone or before deploying) is the server's: a refused diagram comes back as a 422 naming
// the element, which is marked on the canvas. The properties panel (designer-panel.js) edits
// what the engine reads; a template opens as a new process (designer-templates.js); a file
// from the designer's own modeler opens from disk. Running cases move between versions in the
// migration panel (designer-migration.js).
import { api, el, onLanguage, showProblem, signIn, t, when } from "./app.js";
import { migrationPanel } from "./designer-migration.js";
import { propertiesPanel } from "./designer-panel.js";
import { roleMapping } from "./designer-roles.js";
import { keyProblem, openAsNewProcess } from "./designer-templates.js";
import { testRunPanel } from "./designer-test-run.js";

// camunda:* (candidate groups, due dates, form fields) as typed elements, not unknown XML.
const camunda = await (await fetch(new URL("./vendor/camunda-bpmn-moddle/camunda.json", import.meta.url))).json();
const modeler = new window.BpmnJS({ container: "#canvas", moddleExtensions: { camunda } });
const processSelect = document.getElementById("process");
const versionSelect = document.getElementById("version");
const errorBox = document.getElementById("designer-error");
const errorList = document.getElementById("designer-errors");
let processes = [];
let versions = [];
let marked = [];
let departments = [];
propertiesPanel(modeler, document.getElementById("properties"), { departments: () => departments });
testRunPanel(modeler, {
  selected: () => ({ key: processSelect.value, version: versionSelect.value }),
  open: (key, version) => open(key, version, processes.find((p) => p.key === key)?.filename || `${key}.bpmn`),
  upload: () => upload(),
});
const roles = roleMapping({ departments: () => departments });
const migration = migrationPanel({ versionsChanged: () => loadVersions(versionSelect.value) });

function renderVersions() {
  document.getElementById("versions").replaceChildren(...versions.map((v) => el("tr", {},
    el("td", {}, `v${v.version}`), el("td", {}, v.name || "—"), el("td", {}, v.filename || "—"),
    el("td", {}, when(v.deployed_at)), el("td", {}, el("code", {}, v.content_hash.slice(0, 12))),
    el("td", {}, v.running_instances ?? "—"))));
}

async function loadProcesses(selected) {
  processes = (await api("/api/v1/processes")).processes;
  processSelect.replaceChildren(...processes.map((p) => el("option", { value: p.key }, `${p.name || p.key} (${p.key})`)));
  if (selected) processSelect.value = selected;
  await loadVersions();
}

async function loadVersions(selected) {
  const key = processSelect.value;
  versionSelect.disabled = true; // the listed versions are the previous process's until the answer
  const answer = await api(`/api/v1/processes/${encodeURIComponent(key)}`);
  if (key !== processSelect.value) return; // another process was chosen meanwhile
  versions = answer.versions;
  versionSelect.replaceChildren(...[...versions].reverse().map((v) => el("option", { value: v.version }, `v${v.version}`)));
  versionSelect.disabled = false;
  if (selected) versionSelect.value = selected;
  renderVersions();
  migration.load(key, versions);
  await roles.load(key);
}

function clearMarks() {
  const canvas = modeler.get("canvas");
  for (const id of marked) canvas.removeMarker(id, "element-error");
  marked = [];
  errorList.replaceChildren();
  showProblem(errorBox, null);
}

async function open(key, version, filename) {
  clearMarks();
  const xml = await api(`/api/v1/processes/${encodeURIComponent(key)}/versions/${version}/xml`);
  await modeler.importXML(xml);
  modeler.get("canvas").zoom("fit-viewport");
  document.getElementById("filename").value = filename;
  document.getElementById("opened").textContent = t(`已打开 ${key} v${version}`, `Opened ${key} v${version}`);
  document.body.dataset.opened = `${key}:${version}`;
}

/** A diagram file from the designer's disk, as their modeler saved it: on the canvas, to
 * validate, test-run or deploy like any other. */
async function openFile(file) {
  clearMarks();
  await modeler.importXML(await file.text());
  modeler.get("canvas").zoom("fit-viewport");
  document.getElementById("filename").value = file.name.endsWith(".bpmn") ? file.name : `${file.name.replace(/\.[^.]*$/, "")}.bpmn`;
  document.getElementById("opened").textContent = t(`已打开文件 ${file.name}，尚未部署`, `Opened the file ${file.name}, not deployed yet`);
  document.body.dataset.opened = `file:${file.name}`;
}

function markProblem(failure) {
  showProblem(errorBox, failure);
  const registry = modeler.get("elementRegistry");
  for (const item of failure.problem?.errors || []) {
    errorList.append(el("li", {}, `${item.field}: ${item.message}`));
    if (registry.get(item.field)) {
      modeler.get("canvas").addMarker(item.field, "element-error");
      marked.push(item.field);
    }
  }
}

async function upload() {
  clearMarks();
  document.getElementById("designer-result").textContent = "";
  const { xml } = await modeler.saveXML({ format: true });
  return { xml, filename: document.getElementById("filename").value.trim() || "diagram.bpmn" };
}

async function validate() {
  const body = await upload();
  try {
    await api("/api/v1/processes/validate", { method: "POST", body });
    document.getElementById("designer-result").textContent = t("校验通过，尚未部署。", "Valid; not deployed.");
  } catch (failure) {
    markProblem(failure);
  }
}

async function deploy() {
  const body = await upload();
  try {
    const deployed = await api("/api/v1/processes", { method: "POST", body });
    document.getElementById("designer-result").textContent = deployed.created
      ? t(`已部署 ${deployed.key} 第 ${deployed.version} 版。`, `Deployed ${deployed.key} version ${deployed.version}.`)
      : t(`内容未变，仍为第 ${deployed.version} 版。`, `Unchanged: still version ${deployed.version}.`);
    if (deployed.unmapped_roles.length) {
      document.getElementById("designer-result").textContent += t(
        ` 未映射的角色：${deployed.unmapped_roles.join("、")}（见下方角色映射）。`,
        ` Unmapped roles: ${deployed.unmapped_roles.join(", ")} (see the role mapping below).`);
    }
    await loadProcesses(deployed.key);
    versionSelect.value = deployed.version;
  } catch (failure) {
    markProblem(failure);
  }
}

document.getElementById("open-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const latest = processes.find((p) => p.key === processSelect.value);
  open(processSelect.value, versionSelect.value, latest?.filename || `${processSelect.value}.bpmn`)
    .catch((failure) => showProblem(errorBox, failure));
});
document.getElementById("diagram-file").addEventListener("change", (event) => {
  const [file] = event.target.files;
  if (file) openFile(file).catch((failure) => showProblem(errorBox, failure));
});
processSelect.addEventListener("change", () => loadVersions().catch((failure) => showProblem(errorBox, failure)));
const templateForm = document.getElementById("template-form");
const templateError = document.getElementById("template-error");
templateForm.template.addEventListener("change", () => {
  for (const part of templateForm.querySelectorAll(".new-process")) part.hidden = !templateForm.template.value;
  if (templateForm.template.value) templateForm.key.focus();
});
templateForm.addEventListener("submit", (event) => {
  event.preventDefault();
  startFromTemplate().catch((failure) => showProblem(templateError, failure));
});

async function startFromTemplate() {
  const templateKey = templateForm.template.value;
  const key = templateForm.key.value.trim();
  const name = templateForm.name.value.trim();
  const errors = [];
  const keyError = await keyProblem(key);
  if (keyError) errors.push({ field: "key", message: keyError });
  if (!name) errors.push({ field: "name", message: t("请填写名称", "enter a name") });
  if (errors.length) {
    const detail = t("无法新建流程。", "The process cannot be created.");
    showProblem(templateError, { problem: { detail, errors } }, templateForm);
    return;
  }
  showProblem(templateError, null, templateForm);
  const template = processes.find((p) => p.key === templateKey);
  clearMarks();
  const xml = await api(`/api/v1/processes/${encodeURIComponent(templateKey)}/versions/${template.version}/xml`);
  await openAsNewProcess(modeler, xml, templateKey, key, name);
  modeler.get("canvas").zoom("fit-viewport");
  document.getElementById("filename").value = `${key}.bpmn`;
  document.getElementById("opened").textContent = t(`新流程 ${key}（模板：${templateKey}），尚未部署`,
    `New process ${key} (template: ${templateKey}), not deployed yet`);
  document.body.dataset.opened = `${key}:new`;
  versions = [];
  renderVersions();
}
document.getElementById("validate").addEventListener("click", () => validate().catch((failure) => showProblem(errorBox, failure)));
document.getElementById("deploy").addEventListener("click", () => deploy().catch((failure) => showProblem(errorBox, failure)));
onLanguage(renderVersions);

await signIn(["designer", "admin"]);
departments = (await api("/api/v1/departments")).departments;
await loadProcesses();
