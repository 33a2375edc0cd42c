"""What surrounds a head in a shot: neck and shoulders, a stage, loose hair strands, a spotlight's gobo.

World space: metres, Y up, the floor at y = 0. A body's local frame has its origin at the neck pivot (the
point the head turns about), so a head posed relative to the body stays attached to its neck.
"""
from __future__ import annotations

import functools

import numpy as np

from pipeline.cg.head import Identity, _directions, _grid_faces, _hairline, _noise, _rest_surface, encode_texture
from pipeline.cg.mesh import Mesh, merge, vertex_normals
from pipeline.cg.render import Drawable

# The head turns about this point of its own frame (top of the neck), metres.
NECK_PIVOT = np.array([0.0, -0.085, -0.01])


def obj_head_drawable(path, *, texture: np.ndarray | None = None,
                      skin_tone: tuple[float, float, float] = (0.45, 0.28, 0.19)) -> Drawable:
    """A head proxy from an OBJ (as head-tracking tools export), with its texture atlas or a plain skin."""
    from pipeline.cg.mesh import load_obj

    if texture is None:
        plain = np.zeros((4, 4, 4))
        plain[..., :3] = skin_tone
        texture = encode_texture(plain)
    return Drawable(f"obj-{path}", load_obj(path), texture)


def _ellipsoid(centre, semi, rows: int, cols: int, part: str, v_range: tuple[float, float]) -> Mesh:
    t, s = np.meshgrid(np.linspace(0, 1, rows), np.linspace(0, 1, cols), indexing="ij")
    el, az = np.pi / 2 - t * np.pi, s * 2 * np.pi - np.pi
    d = _directions(az, el)
    p = (d * np.asarray(semi) + np.asarray(centre)).reshape(-1, 3)
    faces = _grid_faces(rows, cols)
    uv = np.stack([s.ravel(), v_range[0] + (v_range[1] - v_range[0]) * (1 - t.ravel())], axis=-1)
    return Mesh(p, vertex_normals(p, faces), uv, faces, np.zeros(len(p)), (part,))


@functools.lru_cache(maxsize=4)
def body_drawable(identity: Identity, costume: tuple[float, float, float] = (0.05, 0.05, 0.07)) -> Drawable:
    """Neck, shoulders and chest in the body frame (origin at the neck pivot), skin above, costume below."""
    neck = _ellipsoid((0.0, -0.06, -0.01), (0.063, 0.11, 0.06), 24, 32, "neck", (0.55, 1.0))
    shoulders = _ellipsoid((0.0, -0.175, -0.03), (0.21, 0.085, 0.11), 24, 48, "torso", (0.0, 0.45))
    chest = _ellipsoid((0.0, -0.42, -0.02), (0.20, 0.26, 0.115), 24, 48, "torso", (0.0, 0.45))
    mesh = merge([neck, shoulders, chest])
    tex = np.zeros((64, 64, 4))
    tex[:32, :, :3] = np.array(identity.skin_tone) * 0.92  # rows top first: v in 0.5..1 is skin
    tex[32:, :, :3] = costume
    return Drawable(f"body-{identity.name}", mesh, encode_texture(tex), scenery=True)


@functools.lru_cache(maxsize=2)
def stage_drawable(seed: int = 0) -> Drawable:
    """A curtained cylinder around the world origin and a floor: a background with parallax."""
    rows, cols, radius = 8, 96, 5.0
    t, s = np.meshgrid(np.linspace(0, 1, rows), np.linspace(0, 1, cols), indexing="ij")
    az = s * 2 * np.pi
    folds = 0.08 * np.sin(az * 60)
    p = np.stack([(radius + folds) * np.sin(az), -1.0 + 7.0 * (1 - t), (radius + folds) * np.cos(az)], -1).reshape(-1, 3)
    faces = _grid_faces(rows, cols)
    curtain = Mesh(p, -vertex_normals(p, faces), np.stack([s.ravel(), 0.25 + 0.75 * (1 - t.ravel())], -1), faces,
                   np.zeros(len(p)), ("curtain",))
    fr = np.linspace(0, radius, 6)
    ft, fs = np.meshgrid(fr, np.linspace(0, 2 * np.pi, cols), indexing="ij")
    fp = np.stack([ft * np.sin(fs), np.zeros_like(ft), ft * np.cos(fs)], -1).reshape(-1, 3)
    ffaces = _grid_faces(*ft.shape)
    floor = Mesh(fp, np.tile([0.0, 1.0, 0.0], (len(fp), 1)),
                 np.stack([(fs / (2 * np.pi)).ravel(), 0.2 * (ft / radius).ravel()], -1), ffaces, np.zeros(len(fp)),
                 ("floor",))
    w, h = 1024, 256
    tex = np.zeros((h, w, 4))
    u = (np.arange(w) + 0.5) / w
    fold_light = 0.55 + 0.45 * np.sin(u * 2 * np.pi * 60) ** 2
    tex[: int(h * 0.75), :, :3] = (np.array([0.22, 0.03, 0.04]) * fold_light[:, None])[None]
    tex[: int(h * 0.75), :, :3] *= (1 + 0.15 * _noise((int(h * 0.75), w), seed + 31, 16))[..., None]
    planks = 0.7 + 0.3 * (np.sin(u * 2 * np.pi * 40) > 0.9)
    tex[int(h * 0.75):, :, :3] = (np.array([0.12, 0.08, 0.05]) * planks[:, None])[None]
    return Drawable(f"stage-{seed}", merge([curtain, floor]), encode_texture(tex), two_sided=True, scenery=True)


def hair_gobo(seed: int, size: int = 256) -> np.ndarray:
    """A spotlight cut-out of wavy dark strands, the shadow hair throws on a face (uint8, 255 = open)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    open_ = np.ones((size, size))
    for _ in range(9):
        x0, amp, freq, phase, width = rng.uniform(0.1, 0.9), rng.uniform(0.02, 0.08), rng.uniform(1, 3), \
            rng.uniform(0, 2 * np.pi), rng.uniform(0.008, 0.02)
        centre = x0 + amp * np.sin(2 * np.pi * freq * y + phase) + 0.2 * (y - 0.5) * rng.uniform(-1, 1)
        open_ *= 1 - 0.75 * np.exp(-((x - centre) / width) ** 2)
    return np.round(np.clip(open_, 0, 1) * 255).astype(np.uint8)


def strands_drawable(identity: Identity, gravity_local: np.ndarray, seed: int, *, count: int = 14,
                     length: float = 0.2) -> Drawable | None:
    """Loose strands from the front hairline that fall across the face when the head bows.

    `gravity_local` is world down in the head's frame. Upright, the strands lie back in the hair (None:
    nothing to draw); as the face turns towards the floor they slide out and swing down in front of it.
    """
    g = np.asarray(gravity_local, dtype=np.float64)
    g = g / np.linalg.norm(g)
    fall = float(np.clip((g[2] - 0.3) / 0.4, 0.0, 1.0))
    if fall <= 0.0:
        return None
    rng = np.random.default_rng(seed)
    az = rng.uniform(-0.7, 0.7, count)
    el = _hairline(az, identity) + rng.uniform(0.05, 0.2, count)
    roots = _rest_surface(_directions(az, el), identity) * (1 + identity.hair_volume / 0.1)
    segments = 12
    positions, uvs, faces = [], [], []
    for i in range(count):
        rest = np.array([0.0, 0.6, -1.0])
        p = roots[i].copy()
        side = np.array([1.0, 0.0, 0.0])
        pts = [p.copy()]
        wobble = rng.uniform(-0.3, 0.3, 3)
        for k in range(segments):
            w = fall * min(1.0, 0.3 + (k + 1) / segments)
            direction = (1 - w) * rest + w * (g + 0.25 * wobble)
            p = p + direction / np.linalg.norm(direction) * length * fall * rng.uniform(0.7, 1.1) / segments
            pts.append(p.copy())
        width = rng.uniform(0.003, 0.007)
        base = len(positions)
        for k, q in enumerate(pts):
            taper = width * (1 - 0.7 * k / segments)
            positions += [q - side * taper, q + side * taper]
            uvs += [[0.0, k / segments], [1.0, k / segments]]
        for k in range(segments):
            a = base + 2 * k
            faces += [[a, a + 2, a + 1], [a + 1, a + 2, a + 3]]
    pos = np.array(positions)
    f = np.array(faces)
    mesh = Mesh(pos, vertex_normals(pos, f), np.array(uvs), f, np.zeros(len(pos)), ("strands",))
    return Drawable(f"strands-{identity.name}", mesh, _strand_texture(identity), two_sided=True)


@functools.lru_cache(maxsize=4)
def _strand_texture(identity: Identity) -> np.ndarray:
    tex = np.zeros((8, 8, 4))
    tex[..., :3] = np.array(identity.hair_colour) * 1.1
    return encode_texture(tex)
