// The warnings the rules give about a schedule they accepted: every auction view and the
// report carry "warnings": [{code, message, rule}]. They block nothing; the bailiff and the
// auditor see each message with its code and rule in small print.

import { h } from "./layout.js";

/** "1 warning", "2 warnings". */
export function warningCount(count) {
  return count === 1 ? "1 warning" : `${count} warnings`;
}

/** The warnings as a list, or null when there are none. */
export function warningList(warnings, { id = null } = {}) {
  if (!warnings || warnings.length === 0) return null;
  return h(
    "ul",
    { class: "warning-list", id },
    warnings.map((warning) =>
      h(
        "li",
        { dataset: { code: warning.code, rule: warning.rule ?? "" } },
        h("span", { class: "warning-message", text: warning.message }),
        h(
          "small",
          { class: "warning-source" },
          "code ",
          h("code", { class: "warning-code", text: warning.code }),
          warning.rule ? [" · rule ", h("code", { class: "warning-rule", text: warning.rule })] : "",
        ),
      ),
    ),
  );
}
