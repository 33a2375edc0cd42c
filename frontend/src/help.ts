/** The keyboard shortcut overlay (?). */
import { h } from "./dom";
import { DESCRIPTIONS, SHORTCUTS } from "./keys";

export function helpOverlay(onClose: () => void): HTMLDivElement {
  const groups = [...new Set(SHORTCUTS.map((s) => s.group))];
  return h("div", { class: "fr-help", hidden: true, role: "dialog", "aria-label": "Keyboard shortcuts", "data-testid": "help",
    onclick: (ev: Event) => { if (ev.target === ev.currentTarget) onClose(); } },
  h("div", { class: "fr-help-card" },
    h("div", { class: "fr-row fr-spread" }, h("h2", {}, "Keyboard shortcuts"), h("button", { class: "fr-btn", type: "button", onclick: onClose }, "Close (Esc)")),
    h("div", { class: "fr-help-cols" }, ...groups.map((g) => h("div", {},
      h("h3", {}, g),
      h("table", {}, ...SHORTCUTS.filter((s) => s.group === g).map((s) =>
        h("tr", {}, h("td", {}, h("kbd", {}, s.label)), h("td", {}, DESCRIPTIONS[s.action])))))))));
}
