/**
 * The pick: the supervisor builds the edit (a variant per frame range, splits, dissolves) on the timeline,
 * saves it, then approves it or requests changes. Everyone else sees the edit read-only.
 */
import { apiPost } from "./api";
import {
  editMergeNext, editMoveCut, editNew, editSetTransition, editSetVariant, editSplit, validateEdit, type Segment,
} from "./edit";
import { h, replaceChildren } from "./dom";
import type { Player } from "./player";
import { can, type Decision, type Edit, type Shot } from "./shot";
import { variantColour, type Timeline } from "./timeline";

export class PicksPanel {
  readonly el: HTMLDivElement;
  private body: HTMLDivElement;
  private message: HTMLDivElement;
  segments: Segment[] = [];
  dirty = false;
  /** Called after a decision is recorded: the page re-reads the shot (its status changed on the server). */
  onDecided: () => void = () => {};

  constructor(private readonly player: Player, private readonly timeline: Timeline) {
    this.body = h("div", { class: "fr-picks-body" });
    this.message = h("div", { class: "fr-message", role: "status", "data-testid": "pick-message" });
    this.el = h("div", { class: "fr-panel fr-picks" }, this.body, this.message);
    timeline.onSelectSegment = () => this.render();
    timeline.editable = can.pick(player.shot);
    timeline.onMoveCut = (index, frame) => this.change(() => editMoveCut(this.segments, index, frame));
    this.reset();
  }

  private get shot(): Shot {
    return this.player.shot;
  }

  /** Show the saved edit (or a one-variant start for the supervisor), dropping unsaved changes. */
  reset(): void {
    const first = this.shot.variants[0];
    // The supervisor starts from the whole shot on the first variant; everyone else sees only a saved edit.
    const start = first && can.pick(this.shot) ? editNew(first.id, this.shot.range) : [];
    this.segments = this.shot.edit?.segments.map((s) => ({ ...s })) ?? start;
    this.dirty = false;
    this.sync();
  }

  /** The saved edit changed on the server: take it unless the supervisor is in the middle of changing it. */
  shotChanged(): void {
    if (!this.dirty) this.reset();
    else this.sync();
  }

  private sync(): void {
    this.timeline.segments = this.segments;
    this.player.editChanged();
    this.timeline.selected = Math.min(this.timeline.selected, Math.max(0, this.segments.length - 1));
    this.timeline.draw();
    this.render();
  }

  private change(fn: () => Segment[]): void {
    try {
      this.segments = fn();
      this.dirty = true;
      this.say("");
    } catch (e) {
      this.say((e as Error).message, true);
    }
    this.sync();
  }

  split(): void {
    if (!can.pick(this.shot)) return;
    this.change(() => editSplit(this.segments, this.player.frame));
    this.timeline.selected = this.segments.findIndex((s) => s.frame_start === this.player.frame);
    this.sync();
  }

  private say(text: string, error = false): void {
    this.message.textContent = text;
    this.message.classList.toggle("fr-error", error);
  }

  render(): void {
    const editable = can.pick(this.shot);
    const variants = this.shot.variants;
    const problems = this.segments.length ? validateEdit(this.segments, this.shot.range, variants.map((v) => v.id)) : [];
    const version = this.shot.edit ? `Edit v${this.shot.edit.version}${this.dirty ? " (unsaved changes)" : ""}` : this.dirty ? "New edit (unsaved)" : "No edit saved yet";
    const rows = this.segments.map((s, i) => {
      const selected = i === this.timeline.selected;
      const vi = variants.findIndex((v) => v.id === s.variant);
      const select = h("select", {
        class: "fr-input", disabled: !editable, "aria-label": `Variant of segment ${i + 1}`, "data-testid": `segment-variant-${i}`,
        onchange: () => this.change(() => editSetVariant(this.segments, i, Number(select.value))),
      }, ...variants.map((v) => h("option", { value: String(v.id), selected: v.id === s.variant }, v.label)));
      const transition = h("input", {
        class: "fr-input fr-num", type: "number", min: 0, step: 1, value: String(s.transition), disabled: !editable || i === 0,
        title: "Dissolve into this segment, in frames, centred on the cut", "aria-label": `Transition into segment ${i + 1}`,
        onkeydown: (ev: KeyboardEvent) => ev.stopPropagation(),
        onchange: () => this.change(() => editSetTransition(this.segments, i, Number(transition.value))),
      });
      return h("div", { class: `fr-segment${selected ? " selected" : ""}`, "data-segment": i,
        onclick: () => { this.timeline.selected = i; this.timeline.draw(); this.render(); } },
        h("span", { class: "fr-dot", style: { background: variantColour(Math.max(0, vi)) } }),
        h("button", { class: "fr-link", type: "button", onclick: () => void this.player.goTo(s.frame_start) }, `${s.frame_start}–${s.frame_end}`),
        select,
        h("label", { class: "fr-small" }, "dissolve ", transition),
        editable && i < this.segments.length - 1 ? h("button", { class: "fr-btn", type: "button", title: "Merge with the next segment",
          onclick: () => this.change(() => editMergeNext(this.segments, i)), "aria-label": `Merge segment ${i + 1} with the next` }, "⤓") : null);
    });
    const decided = this.shot.edit?.decision ?? null;
    const comment = h("textarea", { class: "fr-input", rows: 2, placeholder: "Comment for the decision…", "data-testid": "decision-comment",
      onkeydown: (ev: KeyboardEvent) => ev.stopPropagation() });
    replaceChildren(this.body,
      h("div", { class: "fr-row fr-spread" }, h("b", {}, version), h("span", { class: "fr-status-inline", "data-testid": "shot-status-inline" }, this.shot.status_label)),
      rows.length ? rows : h("p", { class: "fr-empty" }, this.shot.variants.length ? "The supervisor has not picked yet." : "No variants published yet."),
      problems.length ? h("ul", { class: "fr-problems" }, ...problems.map((p) => h("li", {}, p))) : null,
      decided && !this.dirty ? h("p", { class: `fr-decision ${decided.decision}`, "data-testid": "decision" },
        `${decided.label} by ${decided.author}`, decided.comment ? `: ${decided.comment}` : "") : null,
      editable
        ? [
          h("div", { class: "fr-row" },
            h("button", { class: "fr-btn", type: "button", title: "Split the edit at the frame on screen (S)", "data-testid": "split", onclick: () => this.split() }, "✂ Split at playhead"),
            h("button", { class: "fr-btn fr-primary", type: "button", disabled: !this.dirty || problems.length > 0, "data-testid": "save-edit",
              onclick: () => void this.save() }, "Save edit"),
            this.dirty ? h("button", { class: "fr-btn", type: "button", onclick: () => this.reset() }, "Discard") : null),
          h("div", { class: "fr-decide" }, comment,
            h("div", { class: "fr-row" },
              h("button", { class: "fr-btn fr-approve", type: "button", "data-testid": "approve", disabled: !this.shot.edit || this.dirty || Boolean(decided),
                title: this.dirty ? "Save the edit first" : decided ? "This edit version is decided; save a new version to decide again" : "Approve the saved edit", onclick: () => void this.decide("approve", comment.value) }, "✓ Approve"),
              h("button", { class: "fr-btn fr-reject", type: "button", "data-testid": "request-changes", disabled: !this.shot.edit || this.dirty || Boolean(decided),
                onclick: () => void this.decide("request_changes", comment.value) }, "Request changes"))),
        ]
        : h("p", { class: "fr-muted", "data-testid": "readonly-edit" }, "Only the supervisor can change or approve the edit."));
  }

  private async save(): Promise<void> {
    try {
      const edit = await apiPost<Edit>(`${this.shot.api}shots/${this.shot.id}/edits/`, { segments: this.segments });
      this.shot.edit = edit;
      this.dirty = false;
      this.segments = edit.segments.map((s) => ({ ...s }));
      this.say(`Saved edit v${edit.version}.`);
      this.sync();
    } catch (e) {
      this.say(`Could not save the edit: ${(e as Error).message}`, true);
    }
  }

  private async decide(decision: "approve" | "request_changes", comment: string): Promise<void> {
    if (!this.shot.edit) return;
    try {
      const res = await apiPost<Decision>(`${this.shot.api}edits/${this.shot.edit.id}/decisions/`, { decision, comment });
      this.shot.edit = { ...this.shot.edit, decision: res };
      this.render();
      this.say(decision === "approve" ? "Approved." : "Changes requested.");
      this.onDecided();
    } catch (e) {
      this.say(`Could not record the decision: ${(e as Error).message}`, true);
    }
  }
}
