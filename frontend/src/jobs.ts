/**
 * The shot page's jobs table, live: progress, message, log and failure of each job from the shot's jobs socket
 * (ws/shots/<id>/jobs/), chunk counts under their parent job, and a Retry button on a failed job for whoever may
 * start that kind of job. The table is rendered by the server; this keeps it current.
 */
import { h } from "./dom";
import { LiveSocket } from "./live";

/** One `job.updated` message, as review/jobs/live.py sends it. */
export interface JobUpdate {
  job: number;
  parent: number | null;
  kind: string;
  kind_label: string;
  state: string;
  state_label: string;
  colour: string;
  attempt: number;
  max_attempts: number;
  progress: number;
  message: string;
  error: string;
  log_tail?: string;
  log_append?: string;
}

/** The message as a JobUpdate, or null when it is not one (other events share nothing with the table). */
export function parseJobUpdate(msg: Record<string, unknown>): JobUpdate | null {
  if (msg.type !== "job.updated" || typeof msg.job !== "number") return null;
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const number = (v: unknown, fallback: number) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
  return {
    job: msg.job, parent: typeof msg.parent === "number" ? msg.parent : null, kind: text(msg.kind),
    kind_label: text(msg.kind_label) || text(msg.kind), state: text(msg.state), state_label: text(msg.state_label) || text(msg.state),
    colour: text(msg.colour), attempt: number(msg.attempt, 1), max_attempts: number(msg.max_attempts, 1),
    progress: number(msg.progress, 0), message: text(msg.message), error: text(msg.error),
    log_tail: typeof msg.log_tail === "string" ? msg.log_tail : undefined,
    log_append: typeof msg.log_append === "string" ? msg.log_append : undefined,
  };
}

/** "attempt 2/3" once a job is retried; nothing on its first attempt. */
export function attemptText(attempt: number, maxAttempts: number): string {
  return attempt > 1 ? `attempt ${attempt}/${maxAttempts}` : "";
}

/** "3/5 chunks" from each chunk's last known state. */
export function chunksText(states: Map<number, string>): string {
  const done = [...states.values()].filter((s) => s === "done").length;
  return `${done}/${states.size} chunks`;
}

/** The log after an update: the tail replaces it, an appended piece adds to it. */
export function nextLog(current: string, update: JobUpdate): string {
  if (update.log_tail) return update.log_tail;
  return update.log_append ? current + update.log_append : current;
}

export class JobsTable {
  private readonly body: HTMLTableSectionElement;
  private readonly retryKinds: Set<string>;
  private readonly chunks = new Map<number, Map<number, string>>(); // parent job -> chunk -> state
  readonly socket: LiveSocket;

  constructor(private readonly table: HTMLTableElement) {
    this.body = table.tBodies[0];
    this.retryKinds = new Set((table.dataset.retryKinds || "").split(",").filter(Boolean));
    this.socket = new LiveSocket(table.dataset.ws || "", (msg) => this.show(msg), (state) => {
      table.dataset.live = state === "live" ? "1" : "";
    });
  }

  private show(msg: Record<string, unknown>): void {
    const update = parseJobUpdate(msg);
    if (!update) return;
    if (update.parent !== null) {
      this.showChunk(update);
      return;
    }
    const tr = (document.getElementById(`job-${update.job}`) as HTMLTableRowElement | null) ?? this.newRow(update);
    tr.dataset.state = update.state;
    const state = this.cell(tr, "job-state");
    state.textContent = update.state_label;
    state.style.setProperty("--c", update.colour);
    this.cell(tr, "job-attempt").textContent = attemptText(update.attempt, update.max_attempts);
    (tr.querySelector("progress") as HTMLProgressElement).value = update.progress;
    this.cell(tr, "job-message").textContent = update.message;
    const error = this.cell(tr, "job-error");
    error.textContent = update.error;
    error.hidden = !update.error;
    const log = this.cell(tr, "job-log");
    log.textContent = nextLog(log.textContent ?? "", update);
    const actions = this.cell(tr, "job-actions");
    actions.replaceChildren();
    if (update.state === "failed" && this.retryKinds.has(update.kind)) actions.append(this.retryForm(update.job));
  }

  private showChunk(update: JobUpdate): void {
    const parent = update.parent as number;
    const states = this.chunks.get(parent) ?? new Map<number, string>();
    this.chunks.set(parent, states);
    states.set(update.job, update.state);
    const row = document.getElementById(`job-${parent}`);
    if (row) this.cell(row, "job-chunks").textContent = chunksText(states);
  }

  private cell(row: HTMLElement, cls: string): HTMLElement {
    return row.querySelector(`.${cls}`) as HTMLElement;
  }

  private newRow(update: JobUpdate): HTMLTableRowElement {
    this.body.querySelector(".jobs-empty")?.remove();
    const tr = h("tr", { id: `job-${update.job}`, "data-kind": update.kind },
      h("td", {}, update.job),
      h("td", {}, update.kind_label),
      h("td", {}, h("span", { class: "status job-state" }), " ", h("small", { class: "job-attempt" })),
      h("td", {}, h("progress", { max: 1, value: 0 }), " ", h("small", { class: "job-chunks" })),
      h("td", {}, h("span", { class: "job-message" }), h("div", { class: "job-error", hidden: true }),
        h("details", {}, h("summary", {}, "log"), h("pre", { class: "job-log" }))),
      h("td", { class: "job-actions" }));
    this.body.prepend(tr);
    return tr;
  }

  private retryForm(job: number): HTMLFormElement {
    return h("form", { method: "post", action: (this.table.dataset.retryUrl || "").replace("/0/", `/${job}/`) },
      h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: this.table.dataset.csrf || "" }),
      h("button", {}, "Retry"));
  }
}
