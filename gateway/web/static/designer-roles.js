// The role mapping of a deployed process (PUT /api/v1/processes/{key}/roles): each role its
// diagrams name (lanes, candidate groups) that is not one of the hall's is a finding of the
// deploy, listed here until it is mapped to a hall role and/or department; a process with
// unmapped roles is deployed but its cases wait at their start until the mapping is saved.
import { api, el, showProblem, t } from "./app.js";

export function roleMapping({ departments }) {
  const findings = document.getElementById("role-findings");
  const rows = document.getElementById("role-rows");
  const result = document.getElementById("roles-result");
  const errorBox = document.getElementById("roles-error");
  let key = null;
  let rev = 0;
  let hallRoles = [];
  let loads = 0; // only the latest load renders: another process may be chosen meanwhile

  function row(diagramRole, entry) {
    const role = el("select", { name: "role", "aria-label": t(`${diagramRole} 对应的大厅角色`, `Hall role for ${diagramRole}`) },
      el("option", { value: "" }, hallRoles.includes(diagramRole) ? t("（同名）", "(same)") : "—"),
      ...hallRoles.map((name) => el("option", { value: name }, name)));
    role.value = entry?.role || "";
    const department = el("select", { name: "department", "aria-label": t(`${diagramRole} 的部门`, `Department for ${diagramRole}`) },
      el("option", { value: "" }, t("（事项所属部门）", "(the item's)")),
      ...departments().map((d) => el("option", { value: d.code }, d.name_zh || d.code)));
    department.value = entry?.department || "";
    return el("tr", { "data-role": diagramRole }, el("th", { scope: "row" }, el("code", {}, diagramRole)),
      el("td", {}, role), el("td", {}, department));
  }

  function render(mapping) {
    rev = mapping.rev;
    hallRoles = mapping.hall_roles;
    const entries = Object.fromEntries(mapping.roles.map((entry) => [entry.diagram_role, entry]));
    rows.replaceChildren(...mapping.diagram_roles.map((name) => row(name, entries[name])));
    findings.textContent = mapping.unmapped_roles.length
      ? t(`未映射的角色：${mapping.unmapped_roles.join("、")}。映射之前，此流程的案件停在开始处。`,
        `Unmapped roles: ${mapping.unmapped_roles.join(", ")}. Until they are mapped, this process's cases wait at their start.`)
      : t("所有角色均为大厅角色或已映射。", "Every role is the hall's or mapped.");
    findings.className = mapping.unmapped_roles.length ? "error" : "ok";
  }

  async function load(selected) {
    const load = ++loads;
    const mapping = await api(`/api/v1/processes/${encodeURIComponent(selected)}/roles`);
    if (load !== loads) return;
    // The same mapping loaded again (the page reloads it whenever the process's versions are
    // listed): keep what the designer has chosen and not saved yet.
    const same = selected === key && mapping.rev === rev && rows.children.length
      && mapping.diagram_roles.join("\n") === [...rows.children].map((tr) => tr.dataset.role).join("\n");
    key = selected;
    if (same) return;
    showProblem(errorBox, null);
    result.textContent = "";
    render(mapping);
  }

  async function save() {
    showProblem(errorBox, null);
    const roles = [...rows.querySelectorAll("tr")].map((tr) => ({
      diagram_role: tr.dataset.role, role: tr.querySelector("[name=role]").value || null,
      department: tr.querySelector("[name=department]").value || null,
    })).filter((entry) => entry.role || entry.department);
    try {
      render(await api(`/api/v1/processes/${encodeURIComponent(key)}/roles`, { method: "PUT", body: { roles, rev } }));
      result.textContent = t("角色映射已保存。", "Role mapping saved.");
    } catch (failure) {
      showProblem(errorBox, failure);
    }
  }

  document.getElementById("save-roles").addEventListener("click", () => save());
  return { load };
}
