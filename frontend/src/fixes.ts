/** Fixes: an artist uploads replacement frames for a frame or the in/out range, from the player. */
import { apiPost } from "./api";
import { formatWhen, h, replaceChildren } from "./dom";
import type { Player } from "./player";
import { can, type Fix, type Shot } from "./shot";

export class FixesPanel {
  readonly el: HTMLDivElement;
  private list: HTMLDivElement;
  private message: HTMLDivElement;
  private where: HTMLSpanElement;
  private comment: HTMLTextAreaElement;

  constructor(private readonly player: Player) {
    this.list = h("div", { class: "fr-fix-list" });
    this.message = h("div", { class: "fr-message", role: "status" });
    this.where = h("span", { class: "fr-where" });
    this.comment = h("textarea", { class: "fr-input", rows: 2, placeholder: "What the fix changes…", "data-testid": "fix-comment",
      onkeydown: (ev: KeyboardEvent) => ev.stopPropagation() });
    const files = h("input", { type: "file", multiple: true, accept: "image/*,.exr", class: "fr-input", "data-testid": "fix-files" });
    const form = can.fix(player.shot)
      ? h("form", { class: "fr-composer", onsubmit: (ev: Event) => { ev.preventDefault(); void this.upload(files); } },
        h("div", { class: "fr-row" }, this.where),
        files, this.comment,
        h("p", { class: "fr-muted fr-small" }, "One image per frame; name them by frame (fix.1012.png) or pick them in order."),
        h("button", { class: "fr-btn fr-primary", type: "submit", "data-testid": "fix-upload" }, "Upload fix frames"))
      : h("p", { class: "fr-muted" }, "Artists upload fix frames for a frame or the in/out range here.");
    this.el = h("div", { class: "fr-panel fr-fixes" }, form, this.message, this.list);
    player.onFrame(() => this.updateWhere());
    this.updateWhere();
    this.render();
  }

  private get shot(): Shot {
    return this.player.shot;
  }

  private range(): [number, number] {
    const p = this.player;
    return p.inPoint !== null || p.outPoint !== null ? [p.inPoint ?? p.range.start, p.outPoint ?? p.range.end] : [p.frame, p.frame];
  }

  private updateWhere(): void {
    const [a, b] = this.range();
    this.where.textContent = a === b ? `For frame ${a} (set in/out for a range)` : `For frames ${a}–${b}`;
  }

  private async upload(input: HTMLInputElement): Promise<void> {
    const [a, b] = this.range();
    if (!input.files?.length) {
      this.message.textContent = "Choose the image files of the fixed frames first.";
      return;
    }
    const count = b - a + 1;
    if (input.files.length > count) {
      this.message.textContent = `Frames ${a}–${b} take at most ${count} images (one per frame); got ${input.files.length}.`;
      return;
    }
    const form = new FormData();
    form.append("frame_start", String(a));
    form.append("frame_end", String(b));
    form.append("comment", this.comment.value.trim());
    for (const f of Array.from(input.files)) form.append("files", f);
    try {
      const fix = await apiPost<Fix>(`${this.shot.api}shots/${this.shot.id}/fixes/`, form);
      this.shot.fixes = [...this.shot.fixes.filter((f) => f.id !== fix.id), fix];
      this.message.textContent = `Uploaded fix for frames ${fix.frame_start}–${fix.frame_end}.`;
      input.value = "";
      this.comment.value = "";
      this.render();
    } catch (e) {
      this.message.textContent = `Could not upload: ${(e as Error).message}`;
    }
  }

  render(): void {
    const fixes = [...this.shot.fixes].sort((x, y) => x.frame_start - y.frame_start);
    replaceChildren(this.list, fixes.length
      ? fixes.map((f) => h("div", { class: "fr-note" },
        h("div", { class: "fr-note-head" },
          h("button", { class: "fr-link", type: "button", onclick: () => void this.player.goTo(f.frame_start) },
            f.frame_start === f.frame_end ? `▸ ${f.frame_start}` : `▸ ${f.frame_start}–${f.frame_end}`),
          h("span", { class: "fr-tag" }, f.state), h("span", { class: "fr-author" }, f.author), h("span", { class: "fr-when" }, formatWhen(f.created))),
        f.comment ? h("div", { class: "fr-note-text" }, f.comment) : null))
      : h("p", { class: "fr-empty" }, "No fixes uploaded."));
  }
}
