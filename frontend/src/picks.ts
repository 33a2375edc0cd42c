/**
 * The pick: the supervisor builds the edit (a variant version per frame range, splits, dissolves) on the
 * timeline, saves it, then approves it (whole, or a range: the in/out points or the selected segment) or
 * requests changes. Approved ranges are locked until the supervisor unlocks them. Everyone else sees the
 * edit read-only.
 */
import { apiPost } from "./api";
import {
  editMergeNext, editMoveCut, editNew, editSetTransition, editSetVariant, editSplit, validateEdit, type Segment,
} from "./edit";
import { h, replaceChildren } from "./dom";
import type { Player } from "./player";
import { can, versionsLatestFirst, type ApprovedRange, type Decision, type Edit, type Shot } from "./shot";
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
    const first = versionsLatestFirst(this.shot)[0];
    // The supervisor starts from the whole shot on the latest version of the first variant; everyone else
    // sees only a saved edit.
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
      }, ...versionsLatestFirst(this.shot).map((v) => h("option", { value: String(v.id), selected: v.id === s.variant }, v.name)));
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
    const undecided = Boolean(this.shot.edit) && !this.dirty && !decided;
    replaceChildren(this.body,
      this.lockedList(editable),
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
                onclick: () => void this.decide("request_changes", comment.value) }, "Request changes")),
            h("div", { class: "fr-row" },
              h("button", { class: "fr-btn fr-approve", type: "button", "data-testid": "approve-range", disabled: !undecided,
                title: "Approve and lock only the in-out range (I, O), else the selected segment",
                onclick: () => void this.decide("approve", comment.value, this.approvalRange()) },
              `✓ Approve ${this.approvalRange().join("–")} only`))),
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

  /** The frames a range approval takes: the in-out points when set, else the selected segment. */
  private approvalRange(): [number, number] {
    const p = this.player;
    if (p.inPoint !== null || p.outPoint !== null) return [p.inPoint ?? p.range.start, p.outPoint ?? p.range.end];
    const seg = this.segments[this.timeline.selected];
    return seg ? [seg.frame_start, seg.frame_end] : [p.range.start, p.range.end];
  }

  /** The locked ranges, each with Unlock for the supervisor. */
  private lockedList(editable: boolean): HTMLElement | null {
    const ranges = this.shot.approved_ranges;
    if (!ranges.length) return null;
    return h("ul", { class: "fr-locked", "data-testid": "approved-ranges" }, ...ranges.map((r) =>
      h("li", { "data-range": `${r.frame_start}-${r.frame_end}` },
        h("button", { class: "fr-link", type: "button", onclick: () => void this.player.goTo(r.frame_start) },
          `Locked ${r.frame_start}–${r.frame_end}`),
        ` approved on edit v${r.edit_version} by ${r.author}`,
        editable ? h("button", { class: "fr-btn", type: "button", "data-testid": `unlock-${r.frame_start}-${r.frame_end}`,
          title: "Unlock: later edits may change these frames (recorded in the activity)",
          onclick: () => void this.unlock(r) }, "Unlock") : null)));
  }

  private async unlock(r: ApprovedRange): Promise<void> {
    try {
      await apiPost(`${this.shot.api}decisions/${r.id}/unlock/`, {});
      this.shot.approved_ranges = this.shot.approved_ranges.filter((x) => x.id !== r.id);
      this.say(`Frames ${r.frame_start}–${r.frame_end} unlocked.`);
      this.sync();
      this.onDecided();
    } catch (e) {
      this.say(`Could not unlock: ${(e as Error).message}`, true);
    }
  }

  private async decide(decision: "approve" | "request_changes", comment: string, range?: [number, number]): Promise<void> {
    if (!this.shot.edit) return;
    try {
      const frames = range ? { frame_start: range[0], frame_end: range[1] } : {};
      const res = await apiPost<Decision>(`${this.shot.api}edits/${this.shot.edit.id}/decisions/`, { decision, comment, ...frames });
      if (!range) this.shot.edit = { ...this.shot.edit, decision: res };
      this.render();
      this.say(range ? `Frames ${range[0]}–${range[1]} approved and locked.` : decision === "approve" ? "Approved." : "Changes requested.");
      this.onDecided();
    } catch (e) {
      this.say(`Could not record the decision: ${(e as Error).message}`, true);
    }
  }
}
