// New processes from the hall's flows. A template is a deployed hall flow; its process id —
// the key a deployment files the diagram under — and its name are replaced before it is
// opened, so deploying it creates a new process at version 1 and leaves the hall's flow as
// it is. The participant's processRef and the diagram's plane point at the process object,
// so they follow the new id when the diagram is written out again.
import { api, t } from "./app.js";

// A process key is an XML id (the BPMN process id) and a URL segment: keep it plain.
const KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** What is wrong with `key` as a new process's key, or null when it is free. */
export async function keyProblem(key) {
  if (!KEY.test(key)) {
    return t("以字母开头，只含英文字母、数字、_ 和 -（至多 64 个字符）",
      "starts with a letter; letters, digits, _ and - only (64 at most)");
  }
  const { processes } = await api("/api/v1/processes");
  if (processes.some((process) => process.key === key)) {
    return t(`流程 ${key} 已存在：请另取一个标识（修改已有流程请直接打开它）`,
      `a process ${key} exists: choose another key (open it to change that process)`);
  }
  return null;
}

/** Open the template's XML in the modeler as the new process `key` named `name`. */
export async function openAsNewProcess(modeler, xml, templateKey, key, name) {
  const moddle = modeler.get("moddle");
  const { rootElement: definitions } = await moddle.fromXML(xml, "bpmn:Definitions");
  const process = definitions.rootElements.find((element) => element.$instanceOf("bpmn:Process") && element.id === templateKey);
  if (!process) throw new Error(t(`模板中没有流程 ${templateKey}`, `the template holds no process ${templateKey}`));
  process.id = key;
  process.name = name;
  definitions.id = `Definitions_${key}`;
  const { xml: rewritten } = await moddle.toXML(definitions, { format: true });
  await modeler.importXML(rewritten);
}
