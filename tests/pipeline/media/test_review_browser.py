"""In Debian's Chromium, seeking a review clip's <video> to frame N shows frame N (read back through a canvas)."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.media.burnin import read_frame_code
from pipeline.media.review import frame_time, make_review_clip

PAGE = """<!doctype html><meta charset="utf-8">
<video id="v" muted playsinline preload="auto"></video><canvas id="c"></canvas>
<script>
// The test server answers no range requests, without which Chromium cannot seek an http: video; a blob: URL
// of the whole file can be. (The site must serve review clips with range requests.)
const loaded = fetch("clip.mp4").then(r => r.blob()).then(blob => new Promise(resolve => {
  const v = document.getElementById("v");
  v.addEventListener("loadeddata", resolve, {once: true});
  v.src = URL.createObjectURL(blob);
}));
// Seek to `t` seconds and, once seeked, return the shown frame's pixels as a flat RGBA array.
window.frameAt = async (t) => {
  await loaded;
  const v = document.getElementById("v"), c = document.getElementById("c");
  await new Promise(r => { v.addEventListener("seeked", r, {once: true}); v.currentTime = t; });
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext("2d", {willReadFrequently: true});
  g.drawImage(v, 0, 0);
  return Array.from(g.getImageData(0, 0, c.width, c.height).data);
};
</script>"""


@pytest.mark.e2e
def test_seeking_the_video_to_frame_n_shows_frame_n(exr_plate, static_server, page):
    url, root = static_server
    clip = make_review_clip(exr_plate, root / "clip.mp4", burn_in="shot010")
    (root / "index.html").write_text(PAGE)
    page.goto(f"{url}/index.html")
    frames = list(clip.frame_range)
    np.random.default_rng(7).shuffle(frames)  # every frame, in an order that seeks forward, back and to neighbours
    for frame in [*frames, clip.first_frame, clip.first_frame + 1, clip.last_frame]:
        pixels = page.evaluate("t => frameAt(t)", frame_time(frame, clip.first_frame, clip.fps))
        image = np.array(pixels, np.uint8).reshape(clip.height, clip.width, 4)
        assert read_frame_code(image[..., :3]) == frame
