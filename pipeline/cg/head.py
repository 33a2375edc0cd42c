"""A procedural head proxy from an identity and an expression: geometry with UVs and a painted texture.

The head is built in its local frame (pipeline.geometry: origin at the skull centre, +Z out of the nose,
+Y up, +X the subject's left ear; metres). The skull is a deformed sphere grid whose UVs are the grid's own
spherical coordinates, so the texture is painted as a function of the rest surface point: a feature drawn at
(x, y) on the face lands on the geometry at (x, y). The face is painted with a real layout (eye whites, iris,
pupil, lids, brows, nostrils, lips, mouth interior, teeth) because face detectors must find it.

Parts: "skin" (skull and face), "ears", "hair" (a shell over the skull above the hairline). The bald head
is `head.mesh.select(BALD_PARTS)`. The texture is an RGBA atlas whose alpha marks teeth.
"""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from pipeline.cg.mesh import Mesh, merge, vertex_normals

BALD_PARTS = ("skin", "ears")

# Atlas layout, pixels (x0, y0, x1, y1), rows top first; UVs use OBJ's convention (v up).
ATLAS_SIZE = (2048, 768)  # width, height
SKIN = (0, 0, 1536, 768)
HAIR = (1536, 0, 2048, 512)
EARS = (1536, 512, 1792, 768)
# Sphere grid of the skull and the hair shell.
GRID_AZIMUTH, GRID_ELEVATION = 104, 68  # vertices crowd on the face: see _warp


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who the head is: proportions in metres, colours as linear RGB."""

    name: str = "dancer"
    head_width: float = 0.150
    head_height: float = 0.230
    head_depth: float = 0.195
    jaw_width: float = 0.78  # jaw width at the chin level, as a fraction of the head width
    face_length: float = 1.0  # lower face length factor
    chin: float = 0.010  # chin protrusion
    nose_length: float = 0.024  # protrusion of the tip
    nose_width: float = 1.0
    ear_size: float = 1.0
    ear_protrusion: float = 0.006
    eye_spacing: float = 0.064  # between the pupils
    eye_size: float = 1.0
    skin_tone: tuple[float, float, float] = (0.45, 0.28, 0.19)
    eye_colour: tuple[float, float, float] = (0.20, 0.35, 0.55)
    brow_colour: tuple[float, float, float] = (0.05, 0.035, 0.025)
    brow_thickness: float = 0.0045
    lip_colour: tuple[float, float, float] = (0.50, 0.14, 0.14)
    lip_fullness: float = 1.0
    hairline: float = 0.068  # height of the front hairline above the skull centre
    hair_colour: tuple[float, float, float] = (0.05, 0.03, 0.02)
    hair_volume: float = 0.014


@dataclasses.dataclass(frozen=True)
class Expression:
    """What the face does: mouth open 0..1, smile 0..1, teeth shown, blink 0 (open) .. 1 (closed)."""

    mouth_open: float = 0.0
    smile: float = 0.0
    teeth_visible: bool = False
    blink: float = 0.0

    def quantized(self) -> Expression:
        """Rounded so that frames with nearly the same expression share one texture and mesh."""
        return Expression(round(min(max(self.mouth_open, 0.0), 1.0) * 10) / 10,
                          round(min(max(self.smile, 0.0), 1.0) * 4) / 4, bool(self.teeth_visible),
                          round(min(max(self.blink, 0.0), 1.0) * 2) / 2)


NEUTRAL = Expression()

DANCER = Identity()
ACTOR = Identity(
    name="actor", head_width=0.158, head_height=0.245, head_depth=0.205, jaw_width=0.9, face_length=1.1,
    chin=0.016, nose_length=0.030, nose_width=1.25, ear_size=1.2, ear_protrusion=0.012, eye_spacing=0.068,
    eye_size=0.9, skin_tone=(0.48, 0.33, 0.25), eye_colour=(0.30, 0.18, 0.07), brow_colour=(0.16, 0.10, 0.05),
    brow_thickness=0.0065, lip_colour=(0.55, 0.25, 0.22), lip_fullness=0.8, hairline=0.080,
    hair_colour=(0.30, 0.19, 0.08), hair_volume=0.022,
)


@dataclasses.dataclass
class Head:
    """A posed-ready head: the mesh (parts skin, ears, hair) and its RGBA uint8 texture atlas."""

    identity: Identity
    expression: Expression
    mesh: Mesh
    texture: np.ndarray  # (H, W, 4) uint8, alpha = teeth mask

    @property
    def bald(self) -> Mesh:
        return self.mesh.select(BALD_PARTS)


# --- layout of the face --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Layout:
    eye_x: float
    eye_y: float
    brow_y: float
    nose_y: float  # tip
    mouth_y: float
    mouth_w: float  # half width
    chin_y: float


def _layout(idn: Identity) -> _Layout:
    h = idn.head_height / 2
    f = idn.face_length
    return _Layout(eye_x=idn.eye_spacing / 2, eye_y=0.02 * h / 0.115, brow_y=0.046 * h / 0.115,
                   nose_y=-0.030 * h / 0.115 * f, mouth_y=-0.060 * h / 0.115 * f, mouth_w=0.024 * idn.lip_fullness ** 0.3,
                   chin_y=-0.103 * h / 0.115 * f)


def _smooth(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _gauss(dx: np.ndarray, dy: np.ndarray, sx: float, sy: float) -> np.ndarray:
    return np.exp(-(dx / sx) ** 2 - (dy / sy) ** 2)


def _directions(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    ce = np.cos(elevation)
    return np.stack([ce * np.sin(azimuth), np.sin(elevation), ce * np.cos(azimuth)], axis=-1)


def _rest_surface(d: np.ndarray, idn: Identity) -> np.ndarray:
    """Skull points along unit directions `d` (..., 3), face features included, no expression."""
    x, y, z = d[..., 0], d[..., 1], d[..., 2]
    lay = _layout(idn)
    hx, hy, hz = idn.head_width / 2, idn.head_height / 2, idn.head_depth / 2
    low = _smooth(0.0, -0.85, y)  # 0 above the skull centre, 1 at the chin
    front = _smooth(-0.1, 0.6, z)
    sx = hx * (1 - (1 - idn.jaw_width) * low * (0.4 + 0.6 * front))
    sy = hy * np.where(y < 0, idn.face_length * (0.75 + 0.25 * front), 1.0)
    sz = hz * (1 + 0.06 * _smooth(0.0, -0.8, z) * _smooth(-0.5, 0.3, y))  # fuller occiput
    sz = sz * np.where(z > 0, 1 - 0.10 * low * (1 - front) + 0.04 * low * front, 1 - 0.35 * low)
    p = np.stack([sx * x, sy * y, sz * z], axis=-1)
    px, py = p[..., 0], p[..., 1]
    fz = _smooth(0.35, 0.75, z)
    # flatten the face front a little, then add the features
    dz = -0.010 * _smooth(0.0, 0.06, np.abs(px)) * fz * _smooth(-0.12, -0.02, py)
    # nose: a ridge from the bridge to the tip, narrow at the bridge, widening to the wings
    bridge = lay.eye_y + 0.004
    t = np.clip((bridge - py) / (bridge - lay.nose_y), 0.0, 1.25)
    ridge = np.where(t <= 1.0, t ** 1.2, np.clip(1 - (t - 1.0) / 0.25, 0.0, 1.0) ** 1.5)
    width = (0.0065 + 0.010 * t ** 2) * idn.nose_width
    dz += idn.nose_length * ridge * np.exp(-(px / width) ** 2) * (py > lay.nose_y - 0.25 * (bridge - lay.nose_y))
    dz += 0.006 * idn.nose_width * _gauss(np.abs(px) - 0.011 * idn.nose_width, py - lay.nose_y - 0.002, 0.006, 0.006)
    # eye sockets, brow ridge, cheekbones, lips, chin
    for side in (-1, 1):
        dz -= 0.009 * _gauss(px - side * lay.eye_x, py - lay.eye_y, 0.017, 0.012)
        dz += 0.005 * _gauss(px - side * (lay.eye_x + 0.02), py - (lay.eye_y - 0.03), 0.018, 0.016)
    dz += 0.005 * _gauss(px, py - lay.brow_y, 0.05, 0.008)
    dz += 0.006 * idn.lip_fullness * _gauss(px, py - lay.mouth_y, lay.mouth_w * 1.1, 0.012)
    dz += idn.chin * _gauss(px, py - lay.chin_y, 0.022, 0.014)
    p[..., 2] += dz * fz
    return p


def _mouth_line(px: np.ndarray, lay: _Layout, smile: float) -> np.ndarray:
    """Height of the line between the lips: straight at rest, corners raised by a smile."""
    return lay.mouth_y + smile * 0.007 * np.clip(np.abs(px) / lay.mouth_w, 0, 1.3) ** 2


def _mouth_gap(expr: Expression) -> float:
    """How far the lips part, metres (a toothy smile parts them even with the jaw closed)."""
    return 0.022 * expr.mouth_open + (0.005 * expr.smile if expr.teeth_visible else 0.0)


_BAND = 0.008  # rest-space height of the lips' inner band that stretches when the mouth opens


def _posed_surface(rest: np.ndarray, d: np.ndarray, idn: Identity, expr: Expression) -> np.ndarray:
    """Rest skull points moved by the expression: the jaw drops under the mouth line, corners rise."""
    if expr.mouth_open == 0 and expr.smile == 0:
        return rest
    lay = _layout(idn)
    p = rest.copy()
    px, py, pz = p[..., 0], p[..., 1], p[..., 2]
    line = _mouth_line(px, lay, expr.smile)
    inside = 1 - _smooth(lay.mouth_w * 0.8, lay.mouth_w * 1.25, np.abs(px))
    band = _BAND * inside + 0.03 * (1 - inside)
    jaw = _smooth(line, line - band, py) * _smooth(-0.04, 0.04, pz)
    p[..., 1] -= _mouth_gap(expr) * jaw
    p[..., 2] -= 0.25 * 0.022 * expr.mouth_open * jaw * _smooth(lay.mouth_y, lay.chin_y, py)
    corners = _gauss(np.abs(px) - lay.mouth_w, py - lay.mouth_y, 0.012, 0.015) * _smooth(0.3, 0.7, d[..., 2])
    p[..., 1] += 0.004 * expr.smile * corners
    p[..., 0] += np.sign(px) * 0.002 * expr.smile * corners
    return p


# --- texture --------------------------------------------------------------------------------------------

def _region_grid(region: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation of every texel of a sphere-mapped atlas region."""
    x0, y0, x1, y1 = region
    az = ((np.arange(x1 - x0) + 0.5) / (x1 - x0)) * 2 * np.pi - np.pi
    el = np.pi / 2 - ((np.arange(y1 - y0) + 0.5) / (y1 - y0)) * np.pi
    return np.meshgrid(az, el)


def _noise(shape: tuple[int, ...], seed: int, blur: int) -> np.ndarray:
    """Smooth value noise in [-1, 1], deterministic."""
    rng = np.random.default_rng(seed)
    small = rng.uniform(-1, 1, size=(max(2, shape[0] // blur), max(2, shape[1] // blur)))
    ys = np.linspace(0, small.shape[0] - 1, shape[0])
    xs = np.linspace(0, small.shape[1] - 1, shape[1])
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, small.shape[0] - 1), np.minimum(x0 + 1, small.shape[1] - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = small[y0][:, x0] * (1 - fx) + small[y0][:, x1] * fx
    bottom = small[y1][:, x0] * (1 - fx) + small[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def _over(rgb: np.ndarray, colour, alpha: np.ndarray) -> None:
    a = np.clip(alpha, 0, 1)[..., None]
    rgb *= 1 - a
    rgb += a * np.asarray(colour, dtype=np.float64)


def _paint_face(p: np.ndarray, d: np.ndarray, base: np.ndarray, idn: Identity, expr: Expression,
                texel: float, parts: tuple[str, ...] = ("static", "eyes", "mouth")) -> tuple[np.ndarray, np.ndarray]:
    """Paint face features at rest points `p` (..., 3) over `base`: the static ones (brows, nose, shading),
    then the eyes and the mouth, which change with the expression. Returns linear RGB and the teeth mask."""
    lay = _layout(idn)
    px, py = p[..., 0], p[..., 1]
    front = _smooth(0.2, 0.5, d[..., 2])
    aa = texel  # edge softness: one texel
    rgb = base.copy()

    def edge(dist: np.ndarray) -> np.ndarray:  # inside where dist < 0
        return np.clip(0.5 - dist / aa, 0, 1) * front

    teeth = np.zeros(p.shape[:-1])
    if "static" in parts:
        _paint_static(rgb, px, py, front, edge, lay, idn)
    if "eyes" in parts:
        _paint_eyes(rgb, px, py, edge, lay, idn, expr, aa)
    if "mouth" in parts:  # painted where the expression moves the surface, so texture and shape agree
        posed = _posed_surface(p, d, idn, expr)
        teeth = _paint_mouth(rgb, posed[..., 0], posed[..., 1], front, edge, lay, idn, expr)
    return rgb, teeth


def _paint_static(rgb, px, py, front, edge, lay: _Layout, idn: Identity) -> None:
    # cheeks and lips area warmth, shading under the brows and around the eyes
    for side in (-1, 1):
        _over(rgb, np.array(idn.skin_tone) * (1.05, 0.80, 0.78), 0.25 * _gauss(px - side * 0.042, py - (lay.mouth_y + 0.025), 0.02, 0.018) * front)
        _over(rgb, np.array(idn.skin_tone) * 0.55, 0.45 * _gauss(px - side * lay.eye_x, py - lay.eye_y - 0.004, 0.016, 0.010) * front)
    # nostrils and the shadowed sides of the nose
    for side in (-1, 1):
        dx, dy = px - side * 0.0085 * idn.nose_width, py - (lay.nose_y - 0.006)
        _over(rgb, np.array(idn.skin_tone) * 0.25, edge(np.hypot(dx / 0.0034, dy / 0.0016) - 1) * 0.8)
        _over(rgb, np.array(idn.skin_tone) * 0.5, 0.35 * _gauss(px - side * 0.012 * idn.nose_width, py - (lay.nose_y + 0.012), 0.004, 0.014) * front)
    # brows: thick arcs above the eyes
    for side in (-1, 1):
        bx = (px - side * lay.eye_x) * side  # positive towards the temple
        arc_y = lay.brow_y - 0.004 + 0.005 * (1 - ((bx - 0.002) / 0.024) ** 2)
        thick = idn.brow_thickness * (1.15 - 0.5 * _smooth(-0.02, 0.026, bx))
        dist = np.maximum(np.abs(py - arc_y) - thick / 2, np.abs(bx - 0.002) - 0.025)
        _over(rgb, idn.brow_colour, edge(dist) * 0.95)


def _paint_eyes(rgb, px, py, edge, lay: _Layout, idn: Identity, expr: Expression, aa: float) -> None:
    # eyes: almond openings with white, iris, pupil, lash line; the upper lid closes with blink
    ew, eh = 0.0145 * idn.eye_size, 0.0068 * idn.eye_size
    for side in (-1, 1):
        dx, dy = px - side * lay.eye_x, py - lay.eye_y
        shape = np.clip(1 - (dx / ew) ** 2, 0, 1)
        lower = -eh * 0.75 * shape ** 0.7
        upper = lower + (eh * shape ** 0.6 - lower) * (1 - expr.blink)
        open_mask = edge(np.maximum(dy - upper, lower - dy)) * (np.abs(dx) < ew)
        eye = np.broadcast_to(np.array((0.80, 0.76, 0.72)), rgb.shape).copy()
        r = np.hypot(dx - side * 0.0005, dy + 0.0005)
        _over(eye, idn.eye_colour, np.clip(0.5 - (r - 0.0058 * idn.eye_size) / aa, 0, 1))
        _over(eye, (0.01, 0.01, 0.01), np.clip(0.5 - (r - 0.0026 * idn.eye_size) / aa, 0, 1))
        _over(eye, (0.25, 0.2, 0.18), 0.5 * _smooth(0.002, -0.0005, upper - dy))  # the lid's shadow
        rgb[:] = rgb * (1 - open_mask[..., None]) + eye * open_mask[..., None]
        lash = edge(np.abs(dy - upper - 0.0005) - 0.0011 * (0.4 + shape)) * (np.abs(dx) < ew * 1.08)
        _over(rgb, (0.02, 0.015, 0.012), lash)
        _over(rgb, np.array(idn.skin_tone) * 0.6, 0.5 * edge(np.abs(dy - lower + 0.0008) - 0.0006) * (np.abs(dx) < ew * 0.9))


def _paint_mouth(rgb, px, py, front, edge, lay: _Layout, idn: Identity, expr: Expression) -> np.ndarray:
    # lips, the line between them, and the mouth opening (dark interior, teeth)
    teeth = np.zeros(px.shape)
    line = _mouth_line(px, lay, expr.smile)
    gap = _mouth_gap(expr)
    mw = lay.mouth_w * (1 + 0.15 * expr.smile)
    u = np.clip(np.abs(px) / mw, 0, 1.5)
    lip_shape = np.clip(1 - u ** 2.2, 0, 1)
    bow = 0.0012 * np.exp(-((np.abs(px) - 0.005) / 0.004) ** 2)  # cupid's bow
    upper_h = (0.0055 * idn.lip_fullness + bow) * lip_shape ** 0.5
    lower_h = 0.0075 * idn.lip_fullness * lip_shape ** 0.5
    band = gap  # the opening, painted where the posed surface shows it
    upper_lip = np.maximum(line - py, py - (line + upper_h))
    lower_lip = np.maximum(py - (line - band), (line - band - lower_h) - py)  # below the opening
    lips = np.maximum(edge(upper_lip), edge(lower_lip)) * (u < 1)
    _over(rgb, idn.lip_colour, lips * 0.95)
    _over(rgb, np.array(idn.lip_colour) * 1.35, 0.3 * _gauss(px, py - (line - band - lower_h * 0.45), mw * 0.4, 0.002) * front)
    if gap > 0:
        inner = np.maximum(np.maximum(line - band - py, py - line), u - 1)
        inside = edge(inner)
        _over(rgb, (0.03, 0.006, 0.008), inside)
        if expr.teeth_visible:
            # teeth occupy the top of the opening (upper row) and its bottom (lower row)
            rel = (line - py) / band  # 0 at the upper lip, 1 at the lower lip
            upper_row = rel < 0.6 - 0.25 * expr.mouth_open
            lower_row = rel > 0.85
            tooth_x = np.abs(px) < mw * 0.85
            tmask = inside * tooth_x * (upper_row | lower_row)
            _over(rgb, (0.86, 0.84, 0.76), tmask)
            _over(rgb, (0.45, 0.42, 0.38), tmask * (np.abs(np.sin(px / 0.0045 * np.pi)) < 0.12))  # gaps
            teeth = tmask
    else:
        _over(rgb, np.array(idn.lip_colour) * 0.3, edge(np.abs(py - line) - 0.0007) * (u < 1))
    return teeth


@functools.lru_cache(maxsize=8)
def _skin_grid(idn: Identity) -> tuple[np.ndarray, np.ndarray]:
    az, el = _region_grid(SKIN)
    d = _directions(az, el)
    return d, _rest_surface(d, idn)


@functools.lru_cache(maxsize=8)
def _base_texture(idn: Identity) -> np.ndarray:
    """The identity's atlas with a neutral face, float RGBA (alpha = teeth)."""
    atlas = np.zeros((ATLAS_SIZE[1], ATLAS_SIZE[0], 4))
    d, p = _skin_grid(idn)
    rgb = _static_skin(idn).copy()
    for part, window in zip(("eyes", "mouth"), _face_windows(idn)):
        rgb[window], _ = _paint_face(p[window], d[window], rgb[window], idn, NEUTRAL, texel=_texel(SKIN, idn),
                                     parts=(part,))
    x0, y0, x1, y1 = SKIN
    atlas[y0:y1, x0:x1, :3] = rgb
    # hair: strands along the elevation direction, lighter tips
    x0, y0, x1, y1 = HAIR
    az, el = _region_grid(HAIR)
    streak = _noise((y1 - y0, x1 - x0), 21, 3)[0:1].repeat(y1 - y0, 0)  # vertical streaks
    shade = 0.8 + 0.25 * streak + 0.15 * _noise((y1 - y0, x1 - x0), 22, 32)
    atlas[y0:y1, x0:x1, :3] = np.array(idn.hair_colour)[None, None] * shade[..., None]
    # ears: skin with a darker bowl and a lighter rim
    x0, y0, x1, y1 = EARS
    v, u = np.meshgrid(np.linspace(-1, 1, y1 - y0), np.linspace(-1, 1, x1 - x0), indexing="ij")
    r = np.hypot(u, v)
    ear = np.array(idn.skin_tone)[None, None] * (0.95 + 0.1 * (r > 0.8)[..., None])
    _over(ear, np.array(idn.skin_tone) * 0.45, np.clip((0.55 - np.hypot(u * 1.3, v + 0.1)) / 0.1, 0, 1) * 0.9)
    _over(ear, (0.05, 0.03, 0.03), np.clip((0.15 - np.hypot(u, v + 0.15)) / 0.05, 0, 1))
    atlas[y0:y1, x0:x1, :3] = ear
    return atlas


def _texel(region: tuple[int, int, int, int], idn: Identity) -> float:
    """Size of one texel on the face, metres."""
    return 2 * np.pi * idn.head_depth / 2 / (region[2] - region[0])


@functools.lru_cache(maxsize=8)
def _face_windows(idn: Identity) -> list[tuple[slice, slice]]:
    """Skin texel windows holding everything an expression changes (eyes, mouth)."""
    d, p = _skin_grid(idn)
    lay = _layout(idn)
    front = d[..., 2] > 0.2
    boxes = [(lay.eye_y - 0.016, lay.eye_y + 0.016, 0.0, lay.eye_x + 0.025),
             (lay.mouth_y - 0.03, lay.mouth_y + 0.02, 0.0, lay.mouth_w * 1.6)]
    windows = []
    for y_lo, y_hi, _, x_hi in boxes:
        m = front & (p[..., 1] > y_lo) & (p[..., 1] < y_hi) & (np.abs(p[..., 0]) < x_hi)
        rows, cols = np.nonzero(m)
        windows.append((slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)))
    return windows


@functools.lru_cache(maxsize=64)
def head_texture(idn: Identity, expr: Expression) -> np.ndarray:
    """The RGBA uint8 atlas for this identity and (quantized) expression; sRGB-encoded colour."""
    atlas = _base_atlas(idn)
    if expr == NEUTRAL:
        return atlas
    atlas = atlas.copy()
    d, p = _skin_grid(idn)
    x0, y0 = SKIN[:2]
    for part, (rows, cols) in zip(("eyes", "mouth"), _face_windows(idn)):
        rgb, teeth = _paint_face(p[rows, cols], d[rows, cols], _static_skin(idn)[rows, cols], idn, expr,
                                 texel=_texel(SKIN, idn), parts=(part,))
        window = (slice(y0 + rows.start, y0 + rows.stop), slice(x0 + cols.start, x0 + cols.stop))
        atlas[window] = encode_texture(np.concatenate([rgb, teeth[..., None]], axis=-1))
    return atlas


@functools.lru_cache(maxsize=8)
def _base_atlas(idn: Identity) -> np.ndarray:
    return encode_texture(_base_texture(idn))


@functools.lru_cache(maxsize=8)
def _static_skin(idn: Identity) -> np.ndarray:
    """Skin with the features no expression changes (brows, nose, shading), painted on the front."""
    d, p = _skin_grid(idn)
    rgb = _base_skin(idn).copy()
    rows, cols = np.nonzero(d[..., 2] > 0.2)
    face = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    rgb[face], _ = _paint_face(p[face], d[face], rgb[face], idn, NEUTRAL, texel=_texel(SKIN, idn), parts=("static",))
    return rgb


@functools.lru_cache(maxsize=8)
def _base_skin(idn: Identity) -> np.ndarray:
    d, p = _skin_grid(idn)
    return np.array(idn.skin_tone)[None, None] * (1 + 0.04 * _noise(p.shape[:2], 11, 24)[..., None]
                                                  + 0.02 * _noise(p.shape[:2], 12, 4)[..., None])


def encode_texture(rgba: np.ndarray) -> np.ndarray:
    """Linear float RGBA -> uint8 with sRGB-encoded colour (the renderer decodes it), alpha kept linear."""
    out = np.empty(rgba.shape, np.uint8)
    c = np.clip(rgba[..., :3], 0, 1)
    out[..., :3] = np.round(np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055) * 255)
    out[..., 3] = np.round(np.clip(rgba[..., 3], 0, 1) * 255)
    return out


# --- geometry -------------------------------------------------------------------------------------------

def _grid_faces(rows: int, cols: int) -> np.ndarray:
    """Two triangles per cell of a rows x cols vertex grid, counter-clockwise seen from outside."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a = (r * cols + c).ravel()
    b, cc, dd = a + 1, a + cols, a + cols + 1
    return np.concatenate([np.stack([a, cc, b], 1), np.stack([b, cc, dd], 1)]).astype(np.int32)


def _region_uv(region: tuple[int, int, int, int], s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Region-relative (s right, t down) in [0, 1] -> atlas UV (v up)."""
    x0, y0, x1, y1 = region
    w, h = ATLAS_SIZE
    return np.stack([(x0 + s * (x1 - x0)) / w, 1 - (y0 + t * (y1 - y0)) / h], axis=-1)


def _hairline(az: np.ndarray, idn: Identity) -> np.ndarray:
    """Elevation (radians) of the hairline around the head: high at the forehead, low at the nape."""
    front = math.asin(min(0.99, idn.hairline / (idn.head_height / 2)))
    side = math.radians(8)
    back = math.radians(-38)
    a = np.abs(az)
    return np.where(a < np.pi / 2, front + (side - front) * _smooth(0.25, np.pi / 2, a),
                    side + (back - side) * _smooth(np.pi / 2, 0.8 * np.pi, a))


def _warp(x: np.ndarray, slope: float, centre: float = 0.5) -> np.ndarray:
    """Map a uniform 0..1 grid so that samples crowd around `centre` (slope < 1 there), ends fixed."""
    return (_cubic(2 * x - 1, 2 * centre - 1, slope) + 1) / 2


def _cubic(y: np.ndarray, c: float, slope: float) -> np.ndarray:
    """Monotonic map of [-1, 1] onto itself with slope `slope` at `c`."""
    out = np.empty_like(y)
    lo, hi = y < c, y >= c
    for mask, end in ((lo, -1.0), (hi, 1.0)):
        span = end - c
        u = (y[mask] - c) / span  # 0 at c, 1 at the end
        out[mask] = c + span * (slope * u + (1 - slope) * u ** 3)
    return out


def _skull_and_hair(idn: Identity, expr: Expression) -> tuple[Mesh, Mesh]:
    cols, rows = GRID_AZIMUTH + 1, GRID_ELEVATION + 1
    s = np.linspace(0, 1, cols)
    t = np.linspace(0, 1, rows)
    ss, tt = np.meshgrid(_warp(s, 0.4), _warp(t, 0.6, centre=0.55))
    az, el = ss * 2 * np.pi - np.pi, np.pi / 2 - tt * np.pi
    el = np.clip(el, -np.pi / 2 + 1e-4, np.pi / 2 - 1e-4)
    d = _directions(az, el)
    rest = _rest_surface(d, idn)
    p = _posed_surface(rest, d, idn, expr).reshape(-1, 3)
    faces = _grid_faces(rows, cols)
    normals = vertex_normals(p, faces)
    # the seam at the back of the head: average the normals of its duplicated columns
    n = normals.reshape(rows, cols, 3)
    seam = n[:, 0] + n[:, -1]
    seam /= np.maximum(np.linalg.norm(seam, axis=-1, keepdims=True), 1e-9)
    n[:, 0] = n[:, -1] = seam
    skin = Mesh(p, n.reshape(-1, 3), _region_uv(SKIN, ss, tt).reshape(-1, 2), faces, np.zeros(len(p)), ("skin",))

    line = _hairline(az, idn)
    above = el - line
    thickness = idn.hair_volume * (0.12 + 0.88 * _smooth(0.0, 0.5, above)) * (1 + 0.3 * _smooth(0.3, 1.2, el))
    hair_p = (p.reshape(rows, cols, 3) + n * thickness[..., None]).reshape(-1, 3)
    keep = (above > -0.02).ravel()
    hair_faces = faces[keep[faces].all(axis=1)]
    hair_n = vertex_normals(hair_p, hair_faces)
    hair = Mesh(hair_p, hair_n, _region_uv(HAIR, ss, tt).reshape(-1, 2), hair_faces, np.zeros(len(hair_p)),
                ("hair",)).select(("hair",))
    return skin, _compact(hair)


def _compact(mesh: Mesh) -> Mesh:
    """Drop vertices no face uses."""
    used = np.zeros(len(mesh.positions), bool)
    used[mesh.faces.ravel()] = True
    remap = np.cumsum(used) - 1
    return Mesh(mesh.positions[used], mesh.normals[used], mesh.uvs[used], remap[mesh.faces], mesh.parts[used],
                mesh.part_names)


def _ears(idn: Identity) -> Mesh:
    """Two flattened discs on the sides of the skull, tilted back and flared forward."""
    lay = _layout(idn)
    rows, cols = 16, 24
    a, b = np.meshgrid(np.linspace(0, np.pi, rows), np.linspace(-np.pi, np.pi, cols), indexing="ij")
    unit = np.stack([np.cos(a), np.sin(a) * np.cos(b), np.sin(a) * np.sin(b)], axis=-1)  # x: through the disc
    size = idn.ear_size
    semi = np.array([0.0055, 0.031 * size, 0.019 * size])
    faces = _grid_faces(rows, cols)
    meshes = []
    ear_y = (lay.eye_y + lay.nose_y) / 2
    # the skull's half width at the ear's height
    d = _directions(np.array([np.pi / 2]), np.array([math.asin(max(-0.99, ear_y / (idn.head_height / 2)))]))
    skull_x = float(_rest_surface(d, idn)[0, 0])
    for side in (1, -1):
        local = unit * semi
        tilt, flare = math.radians(-12), math.radians(20 + 400 * idn.ear_protrusion)
        ct, st, cf, sf = math.cos(tilt), math.sin(tilt), math.cos(flare), math.sin(flare)
        rot_tilt = np.array([[1, 0, 0], [0, ct, -st], [0, st, ct]])
        rot_flare = np.array([[cf, 0, -sf], [0, 1, 0], [sf, 0, cf]])
        p = local @ rot_tilt.T @ rot_flare.T
        p[..., 0] *= side
        p += np.array([side * (skull_x + 0.002 + idn.ear_protrusion * 0.5), ear_y, -0.012])
        p = p.reshape(-1, 3)
        uv_s = (0.5 + 0.5 * unit[..., 2]).reshape(-1)
        uv_t = (0.5 - 0.5 * unit[..., 1]).reshape(-1)
        f = faces if side > 0 else faces[:, ::-1]
        meshes.append(Mesh(p, vertex_normals(p, f), _region_uv(EARS, uv_s, uv_t), f, np.zeros(len(p)), ("ears",)))
    return merge(meshes)


@functools.lru_cache(maxsize=32)
def _head_mesh(idn: Identity, expr: Expression) -> Mesh:
    skin, hair = _skull_and_hair(idn, expr)
    return merge([hair, skin, _ears(idn)])  # hair first: the skull under it then fails the depth test early


def build_head(identity: Identity, expression: Expression = NEUTRAL) -> Head:
    """The head of `identity` making `expression` (quantized, so that close expressions share the result)."""
    expr = expression.quantized()
    return Head(identity, expr, _head_mesh(identity, expr), head_texture(identity, expr))


def head_anchor_points(identity: Identity) -> dict[str, np.ndarray]:
    """Head-local positions of named points (eyes, nose tip, mouth, chin, ears) for tests and framing."""
    lay = _layout(identity)
    names = {"left_eye": (lay.eye_x, lay.eye_y), "right_eye": (-lay.eye_x, lay.eye_y), "nose_tip": (0.0, lay.nose_y),
             "mouth": (0.0, lay.mouth_y), "chin": (0.0, lay.chin_y)}
    out = {}
    for name, (x, y) in names.items():
        # the surface point in front with this (x, y): search the front grid
        d, p = _skin_grid(identity)
        front = d[..., 2] > 0.3
        dist = np.where(front, np.hypot(p[..., 0] - x, p[..., 1] - y), np.inf)
        r, c = np.unravel_index(np.argmin(dist), dist.shape)
        out[name] = p[r, c].copy()
    return out
