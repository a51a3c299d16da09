// Migration of running cases from one version of the selected process to another
// (POST /api/v1/processes/{key}/migrations[/dry-run]): the dry run comes first and says case
// by case whether it moves, what it waits in, and which of its elements the target version
// lacks; the designer maps each of those onto an element of the target, runs the dry run again
// with the map, and migrates what can move. The others stay on their version.
import { api, bi, el, onLanguage, showProblem, t } from "./app.js";

// The elements a case can have passed through or wait in (not flows, lanes or data).
const FLOW_NODE = /(Task|task|Event|Gateway|subProcess|callActivity)$/;

export function migrationPanel({ versionsChanged }) {
  const form = document.getElementById("migration-form");
  const fromSelect = document.getElementById("migrate-from");
  const toSelect = document.getElementById("migrate-to");
  const summary = document.getElementById("migration-summary");
  const error = document.getElementById("migration-error");
  const result = document.getElementById("migration-result");
  const migrateButton = document.getElementById("migrate");
  let key = null;
  let report = null;
  let targets = []; // [{id, name}] of the target version
  const chosen = {}; // old element id -> new element id, as the designer mapped them

  function request() {
    const map = Object.fromEntries(Object.entries(chosen).filter(([, id]) => id));
    return { from_version: Number(fromSelect.value), to_version: Number(toSelect.value), element_map: map };
  }

  async function targetElements(version) {
    const xml = await api(`/api/v1/processes/${encodeURIComponent(key)}/versions/${version}/xml`);
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    return [...doc.getElementsByTagNameNS("*", "process")].flatMap((process) => [...process.querySelectorAll("[id]")])
      .filter((node) => FLOW_NODE.test(node.localName))
      .map((node) => ({ id: node.getAttribute("id"), name: node.getAttribute("name") || "" }));
  }

  function mappingRow(old) {
    const id = `migrate-map-${old}`;
    const select = el("select", { id, name: old, onchange: () => {
      chosen[old] = select.value;
      migrateButton.disabled = true; // the dry run must be run again with the map
    } }, el("option", { value: "" }, t("— 不映射（留在原版本）—", "— not mapped (stays) —")),
    ...targets.map((node) => el("option", { value: node.id }, node.name ? `${bi(node.name)} (${node.id})` : node.id)));
    select.value = chosen[old] || "";
    return el("div", {}, el("label", { for: id }, t(`${old} 在 v${toSelect.value} 中对应`, `${old} in v${toSelect.value} is`)), select);
  }

  function render() {
    const rows = document.getElementById("migration-cases");
    const mapping = document.getElementById("migration-map");
    if (!report) {
      summary.textContent = "";
      rows.replaceChildren();
      mapping.replaceChildren();
      migrateButton.disabled = true;
      return;
    }
    summary.textContent = t(
      `试算：v${report.from_version} 的 ${report.cases.length} 个运行中办件，${report.movable} 个可迁移到 v${report.to_version}，${report.staying} 个保留。`,
      `Dry run: of ${report.cases.length} running cases of v${report.from_version}, ${report.movable} can move to v${report.to_version}, ${report.staying} stay.`);
    rows.replaceChildren(...report.cases.map((kase) => el("tr", { "data-case": kase.case_no },
      el("td", {}, kase.case_no), el("td", {}, kase.waiting_in.join("、") || "—"),
      el("td", {}, kase.migrated ? t("已迁移", "moved") : kase.movable ? t("可迁移", "can move") : t("保留", "stays")),
      el("td", {}, kase.reason || "—"))));
    const unmapped = [...new Set([...report.cases.flatMap((kase) => kase.unmapped), ...Object.keys(chosen)])];
    mapping.replaceChildren(...unmapped.map(mappingRow));
    migrateButton.disabled = report.movable === 0 || report.migrated !== undefined;
  }

  async function dryRun() {
    showProblem(error, null, form);
    result.textContent = "";
    try {
      targets = await targetElements(toSelect.value);
      report = await api(`/api/v1/processes/${encodeURIComponent(key)}/migrations/dry-run`, { method: "POST", body: request() });
    } catch (failure) {
      report = null;
      showProblem(error, failure, form);
    }
    render();
  }

  async function migrate() {
    showProblem(error, null, form);
    try {
      report = await api(`/api/v1/processes/${encodeURIComponent(key)}/migrations`, { method: "POST", body: request(),
        headers: { "Idempotency-Key": `web-migrate-${crypto.randomUUID()}` } });
      result.textContent = t(`已迁移 ${report.migrated} 个办件到 v${report.to_version}。`,
        `Moved ${report.migrated} cases to v${report.to_version}.`);
      render();
      await versionsChanged();
    } catch (failure) {
      showProblem(error, failure, form);
    }
  }

  /** The selected process's versions (oldest first): from the one before the latest to the latest. */
  function load(selected, versions) {
    const same = selected === key;
    key = selected;
    const options = () => versions.map((v) => el("option", { value: v.version }, `v${v.version}`));
    const [from, to] = [fromSelect.value, toSelect.value];
    fromSelect.replaceChildren(...options());
    toSelect.replaceChildren(...options());
    if (same && from && to) {
      [fromSelect.value, toSelect.value] = [from, to];
      return;
    }
    fromSelect.value = versions.length > 1 ? versions[versions.length - 2].version : versions[0]?.version;
    toSelect.value = versions[versions.length - 1]?.version;
    for (const old of Object.keys(chosen)) delete chosen[old];
    report = null;
    result.textContent = "";
    showProblem(error, null, form);
    render();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    dryRun();
  });
  for (const select of [fromSelect, toSelect]) {
    select.addEventListener("change", () => {
      for (const old of Object.keys(chosen)) delete chosen[old];
      report = null;
      render();
    });
  }
  migrateButton.addEventListener("click", () => migrate());
  onLanguage(render);
  return { load };
}
