"""Triangle meshes with UVs and normals, and OBJ files as head-tracking tools export them.

A `Mesh` is flat arrays, one row per vertex (position, normal, UV, part) and one per triangle, ready for
the GPU. OBJ keeps positions, UVs and normals in separate indexed lists; reading one splits every distinct
`v/vt/vn` corner into its own vertex. Parts (skin, hair, eyes...) travel as OBJ groups (`g name`).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from pipeline.atomic import atomic_write_text
from pipeline.errors import InputError


@dataclasses.dataclass
class Mesh:
    """Vertices (N, 3) float32, normals (N, 3), uvs (N, 2), part index per vertex (N,), faces (M, 3) int32."""

    positions: np.ndarray
    normals: np.ndarray
    uvs: np.ndarray
    faces: np.ndarray
    parts: np.ndarray
    part_names: tuple[str, ...] = ("default",)

    def __post_init__(self) -> None:
        n = len(self.positions)
        self.positions = np.ascontiguousarray(self.positions, dtype=np.float32).reshape(n, 3)
        self.normals = np.ascontiguousarray(self.normals, dtype=np.float32).reshape(n, 3)
        self.uvs = np.ascontiguousarray(self.uvs, dtype=np.float32).reshape(n, 2)
        self.parts = np.ascontiguousarray(self.parts, dtype=np.int32).reshape(n)
        self.faces = np.ascontiguousarray(self.faces, dtype=np.int32).reshape(-1, 3)
        if len(self.faces) and (self.faces.min() < 0 or self.faces.max() >= n):
            raise InputError(f"mesh faces index vertices outside 0..{n - 1}")

    @property
    def part_ids(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.part_names)}

    def select(self, parts: tuple[str, ...]) -> Mesh:
        """The sub-mesh of the named parts (e.g. the bald head: everything but hair)."""
        ids = [self.part_ids[p] for p in parts if p in self.part_ids]
        keep_vertex = np.isin(self.parts, ids)
        keep_face = keep_vertex[self.faces].all(axis=1)
        remap = np.cumsum(keep_vertex) - 1
        return Mesh(self.positions[keep_vertex], self.normals[keep_vertex], self.uvs[keep_vertex],
                    remap[self.faces[keep_face]], self.parts[keep_vertex], self.part_names)


def merge(meshes: list[Mesh]) -> Mesh:
    """One mesh from several, part names united (a part keeps its name)."""
    names: list[str] = []
    for m in meshes:
        names += [n for n in m.part_names if n not in names]
    offset, faces, parts = 0, [], []
    for m in meshes:
        faces.append(m.faces + offset)
        parts.append(np.array([names.index(n) for n in m.part_names], dtype=np.int32)[m.parts])
        offset += len(m.positions)
    return Mesh(np.concatenate([m.positions for m in meshes]), np.concatenate([m.normals for m in meshes]),
                np.concatenate([m.uvs for m in meshes]), np.concatenate(faces), np.concatenate(parts), tuple(names))


def vertex_normals(positions: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals of a triangle mesh (counter-clockwise faces point outwards)."""
    p = positions.astype(np.float64)
    face_n = np.cross(p[faces[:, 1]] - p[faces[:, 0]], p[faces[:, 2]] - p[faces[:, 0]])
    n = np.zeros_like(p)
    for k in range(3):
        np.add.at(n, faces[:, k], face_n)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return (n / np.where(length > 0, length, 1.0)).astype(np.float32)


def save_obj(path: str | os.PathLike, mesh: Mesh, *, precision: int = 6) -> Path:
    """Write `mesh` as OBJ (v, vt, vn, one `g` group per part, f v/vt/vn), atomically."""
    fmt = f"{{:.{precision}f}}"
    lines = ["# facereplace head proxy"]
    lines += ["v " + " ".join(fmt.format(c) for c in p) for p in mesh.positions.tolist()]
    lines += ["vt " + " ".join(fmt.format(c) for c in t) for t in mesh.uvs.tolist()]
    lines += ["vn " + " ".join(fmt.format(c) for c in n) for n in mesh.normals.tolist()]
    face_part = mesh.parts[mesh.faces[:, 0]]
    for pid, name in enumerate(mesh.part_names):
        faces = mesh.faces[face_part == pid] + 1
        if len(faces):
            lines.append(f"g {name}")
            lines += [f"f {a}/{a}/{a} {b}/{b}/{b} {c}/{c}/{c}" for a, b, c in faces.tolist()]
    return atomic_write_text(path, "\n".join(lines) + "\n")


def load_obj(path: str | os.PathLike) -> Mesh:
    """Read an OBJ's triangles and polygons (fanned into triangles), with UVs and normals when present.

    Missing normals are computed; missing UVs are zero. Groups (`g`/`o`) become parts.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such OBJ file")
    v: list[list[float]] = []
    vt: list[list[float]] = []
    vn: list[list[float]] = []
    corners: dict[tuple[int, int, int], int] = {}
    faces: list[list[int]] = []
    corner_part: list[int] = []
    part_names: list[str] = []
    part = -1
    for lineno, raw in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        tag, args = fields[0], fields[1:]
        try:
            if tag == "v":
                v.append([float(a) for a in args[:3]])
            elif tag == "vt":
                vt.append([float(a) for a in args[:2]])
            elif tag == "vn":
                vn.append([float(a) for a in args[:3]])
            elif tag in ("g", "o"):
                name = args[0] if args else "default"
                if name not in part_names:
                    part_names.append(name)
                part = part_names.index(name)
            elif tag == "f":
                if len(args) < 3:
                    raise ValueError("a face needs at least 3 corners")
                if part < 0:
                    part_names.append("default")
                    part = 0
                ids = []
                for corner in args:
                    refs = (corner.split("/") + ["", ""])[:3]
                    key = tuple(_obj_index(r, n) for r, n in zip(refs, (len(v), len(vt), len(vn))))
                    if key[0] < 0:
                        raise ValueError(f"corner {corner!r} has no vertex")
                    if key not in corners:
                        corners[key] = len(corners)
                        corner_part.append(part)
                    ids.append(corners[key])
                faces += [[ids[0], ids[k], ids[k + 1]] for k in range(1, len(ids) - 1)]
        except (ValueError, IndexError) as exc:
            raise InputError(f"{p}:{lineno}: cannot read {raw.strip()!r} ({exc})") from None
    if not faces:
        raise InputError(f"{p}: no faces in this OBJ file")
    keys = np.array(list(corners), dtype=np.int64)
    positions = np.array(v, dtype=np.float32)[keys[:, 0]]
    uvs = np.array(vt, dtype=np.float32)[keys[:, 1]] if vt else np.zeros((len(keys), 2), np.float32)
    if vt:
        uvs[keys[:, 1] < 0] = 0.0
    face_array = np.array(faces, dtype=np.int32)
    if vn and np.all(keys[:, 2] >= 0):
        normals = np.array(vn, dtype=np.float32)[keys[:, 2]]
    else:
        normals = vertex_normals(positions, face_array)
    return Mesh(positions, normals, uvs, face_array, np.array(corner_part), tuple(part_names))


def _obj_index(ref: str, count: int) -> int:
    """OBJ indices are 1-based, negative ones count from the end; '' means absent (-1)."""
    if not ref:
        return -1
    i = int(ref)
    i = i - 1 if i > 0 else count + i
    if not 0 <= i < count:
        raise ValueError(f"index {ref} outside the {count} entries defined so far")
    return i
