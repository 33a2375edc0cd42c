"""OBJ files: what we write reads back the same; what head-tracking tools write (quads, negative indices,
no normals) reads too; a broken file is an error naming the line."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.cg.head import DANCER, build_head
from pipeline.cg.mesh import load_obj, save_obj
from pipeline.errors import InputError


def test_obj_round_trip_keeps_positions_uvs_normals_faces_and_parts(tmp_path):
    mesh = build_head(DANCER).mesh
    save_obj(tmp_path / "head.obj", mesh)
    back = load_obj(tmp_path / "head.obj")
    assert back.part_names == mesh.part_names
    assert len(back.faces) == len(mesh.faces)
    # corners are re-indexed on load: compare triangle by triangle
    np.testing.assert_allclose(back.positions[back.faces], mesh.positions[mesh.faces], atol=1e-6)
    np.testing.assert_allclose(back.uvs[back.faces], mesh.uvs[mesh.faces], atol=1e-6)
    np.testing.assert_allclose(back.normals[back.faces], mesh.normals[mesh.faces], atol=1e-6)
    np.testing.assert_array_equal(back.parts[back.faces[:, 0]], mesh.parts[mesh.faces[:, 0]])
    bald = back.select(("skin", "ears"))
    assert 0 < len(bald.faces) < len(back.faces) and "hair" not in {bald.part_names[p] for p in bald.parts}


def test_tool_style_obj_with_quads_negative_indices_and_no_normals(tmp_path):
    (tmp_path / "quad.obj").write_text(
        "# exported\no head\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
        "f -4/-4 -3/-3 -2/-2 -1/-1\n")
    mesh = load_obj(tmp_path / "quad.obj")
    assert mesh.faces.shape == (2, 3) and mesh.part_names == ("head",)
    np.testing.assert_allclose(mesh.normals, np.tile([0, 0, 1], (4, 1)), atol=1e-6)  # computed, facing +Z
    np.testing.assert_allclose(sorted(map(tuple, mesh.uvs)), [(0, 0), (0, 1), (1, 0), (1, 1)])


def test_broken_obj_names_the_line(tmp_path):
    (tmp_path / "bad.obj").write_text("v 0 0 0\nv 1 0 0\nf 1 2 7\n")
    with pytest.raises(InputError, match=r"bad.obj:3"):
        load_obj(tmp_path / "bad.obj")
    with pytest.raises(InputError, match="no such OBJ"):
        load_obj(tmp_path / "missing.obj")
