/**
 * One view of the shot: a <video> of the plate or a variant, with the canvas for note drawings and the loupe
 * on top. It knows which frame is actually on screen: the compositor's presentation time of the last
 * painted frame (requestVideoFrameCallback), not the time we asked for.
 */
import { frameToTime, timeToFrame, type FrameRange, type Rate } from "./frames";
import { h } from "./dom";

export interface Source {
  key: string; // "plate" or "v<id>"
  label: string;
  url: string;
  colour?: string | null; // the OCIO display / view of its clip, shown beside the label
}

type FrameMeta = { mediaTime: number };
type RVFC = (cb: (now: number, meta: FrameMeta) => void) => number;

export class VideoView {
  readonly el: HTMLDivElement;
  readonly frameBox: HTMLDivElement;
  readonly video: HTMLVideoElement;
  readonly overlay: HTMLCanvasElement;
  readonly loupe: HTMLCanvasElement;
  private readonly badge: HTMLSpanElement;
  private readonly colour: HTMLSpanElement;
  private readonly frameLabel: HTMLSpanElement;
  /** The frame painted on screen now (null until the first frame is painted). */
  shown: number | null = null;
  private target: number | null = null;
  private waiters: { frame: number; resolve: () => void }[] = [];
  onPresent: (view: VideoView, frame: number) => void = () => {};

  constructor(public source: Source, private readonly first: number, private readonly rate: Rate, private readonly range: FrameRange) {
    this.video = h("video", { muted: true, playsInline: true, preload: "auto", crossOrigin: "anonymous", disablePictureInPicture: true });
    this.video.muted = true;
    this.overlay = h("canvas", { class: "fr-overlay" });
    this.loupe = h("canvas", { class: "fr-loupe", width: 220, height: 220, hidden: true });
    this.badge = h("span", { class: "fr-view-label" }, source.label);
    this.frameLabel = h("span", { class: "fr-view-frame", "data-testid": "view-frame" }, "");
    this.colour = h("span", { class: "fr-view-colour", "data-testid": "view-colour", title: "Display / view of this clip" },
      source.colour ?? "");
    this.frameBox = h("div", { class: "fr-frame" }, this.video, this.overlay, this.loupe);
    this.el = h("div", { class: "fr-view", "data-source": source.key }, this.frameBox, h("div", { class: "fr-view-hud" }, this.badge, this.colour, this.frameLabel));
    this.video.src = source.url;
    this.watch();
    this.video.addEventListener("error", () => {
      this.frameLabel.textContent = "clip could not be played";
      this.el.dataset.error = `${this.source.label}: ${this.source.url} could not be loaded or decoded`;
      this.el.title = this.el.dataset.error;
    });
  }

  setSource(source: Source): void {
    this.source = source;
    this.el.dataset.source = source.key;
    this.badge.textContent = source.label;
    this.colour.textContent = source.colour ?? "";
    this.shown = null;
    this.video.src = source.url;
    // Once the new clip can seek, go to the frame asked for last (not the one asked for when it started loading).
    this.video.addEventListener("loadedmetadata", () => {
      if (this.target !== null) void this.seek(this.target);
    }, { once: true });
  }

  private watch(): void {
    const v = this.video as HTMLVideoElement & { requestVideoFrameCallback?: RVFC };
    if (typeof v.requestVideoFrameCallback === "function") {
      const onFrame = (_now: number, meta: FrameMeta) => {
        this.present(timeToFrame(meta.mediaTime, this.first, this.rate));
        v.requestVideoFrameCallback!(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
      v.addEventListener("seeked", () => this.confirmAfterSeek());
    } else {
      // Without frame callbacks the best we know is the decoder's current time once a seek lands.
      const fromTime = () => this.present(timeToFrame(v.currentTime, this.first, this.rate));
      v.addEventListener("seeked", fromTime);
      v.addEventListener("timeupdate", fromTime);
    }
  }

  /** After a seek lands, a frame callback normally follows; if none comes (the picture did not change,
   * e.g. a seek within the frame already shown) the landed time says which frame is on screen. */
  private confirmAfterSeek(): void {
    const at = this.video.currentTime;
    window.setTimeout(() => {
      if (this.video.seeking || this.video.currentTime !== at) return;
      const frame = timeToFrame(at, this.first, this.rate);
      if (this.shown !== frame && this.waiters.some((w) => w.frame === frame)) this.present(frame);
    }, 120);
  }

  private present(frame: number): void {
    const f = Math.min(this.range.end, Math.max(this.range.start, frame));
    this.shown = f;
    this.frameLabel.textContent = String(f);
    this.el.dataset.frame = String(f);
    this.waiters = this.waiters.filter((w) => {
      if (w.frame !== f) return true;
      w.resolve();
      return false;
    });
    this.onPresent(this, f);
  }

  /** Show `frame`; resolves once that frame is painted (or after a generous timeout on a stalled decoder). */
  seek(frame: number): Promise<void> {
    this.target = frame;
    const t = frameToTime(frame, this.first, this.rate);
    const sameTime = Math.abs(this.video.currentTime - t) < 1e-6;
    if (this.shown === frame && sameTime) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const timer = window.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== finish);
        resolve();
      }, 3000);
      const finish = () => {
        window.clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ frame, resolve: finish });
    });
    // A seek to this very time already under way is not restarted (that would cancel its frame callback).
    if (!sameTime) this.video.currentTime = t;
    return done;
  }

  /** While the master plays: put this view on `frame` unless it is still busy with the previous one. */
  follow(frame: number): void {
    this.target = frame;
    if (!this.video.seeking && this.shown !== frame) this.video.currentTime = frameToTime(frame, this.first, this.rate);
  }

  get ready(): boolean {
    return this.video.readyState >= 2;
  }

  /** Fit the frame box (video + overlays) into the cell at the clip's aspect ratio. */
  layout(cellW: number, cellH: number): void {
    const vw = this.video.videoWidth || 16;
    const vh = this.video.videoHeight || 9;
    const scale = Math.min(cellW / vw, cellH / vh);
    const w = Math.max(1, Math.floor(vw * scale));
    const hgt = Math.max(1, Math.floor(vh * scale));
    this.frameBox.style.width = `${w}px`;
    this.frameBox.style.height = `${hgt}px`;
    const dpr = window.devicePixelRatio || 1;
    if (this.overlay.width !== Math.round(w * dpr) || this.overlay.height !== Math.round(hgt * dpr)) {
      this.overlay.width = Math.round(w * dpr);
      this.overlay.height = Math.round(hgt * dpr);
    }
  }

  /** Magnify the region around (x, y) (normalised frame coordinates) by `zoom` in this view's loupe. */
  drawLoupe(x: number, y: number, zoom: number): void {
    const ctx = this.loupe.getContext("2d");
    const vw = this.video.videoWidth;
    const vh = this.video.videoHeight;
    if (!ctx || !vw || !vh) return;
    const box = this.frameBox.getBoundingClientRect();
    const size = this.loupe.width;
    const srcW = (size / zoom) * (vw / box.width);
    const srcH = (size / zoom) * (vh / box.height);
    ctx.clearRect(0, 0, size, size);
    ctx.save();
    ctx.beginPath();
    ctx.arc(size / 2, size / 2, size / 2 - 1, 0, Math.PI * 2);
    ctx.clip();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.video, x * vw - srcW / 2, y * vh - srcH / 2, srcW, srcH, 0, 0, size, size);
    ctx.restore();
    ctx.strokeStyle = "rgba(255,255,255,0.85)";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(size / 2, size / 2, size / 2 - 1, 0, Math.PI * 2);
    ctx.stroke();
    this.loupe.style.left = `${x * box.width - size / 2}px`;
    this.loupe.style.top = `${y * box.height - size / 2}px`;
  }

  /** Normalised frame coordinates of a pointer event over this view. */
  normalised(ev: { clientX: number; clientY: number }): [number, number] {
    const r = this.frameBox.getBoundingClientRect();
    return [(ev.clientX - r.left) / r.width, (ev.clientY - r.top) / r.height];
  }

  destroy(): void {
    this.video.removeAttribute("src");
    this.video.load();
    this.el.remove();
  }
}
