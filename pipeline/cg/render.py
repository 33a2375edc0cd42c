"""Headless OpenGL rendering of heads in lighting passes (moderngl, EGL: Mesa llvmpipe or a GPU).

One draw of the scene writes every pass at once (multiple render targets): beauty with the matte, key light
alone with the key's shadow, spotlight through a gobo (a cut-out such as a hair shadow), rim, depth,
camera-space normals and head-local coordinates. Motion blur averages temporal sub-samples over the shutter
on the GPU (a depth pre-pass per sub-sample, then its visible fragments add their weighted passes); data
passes (depth, normals, head-local) come from the sub-sample at the shutter's centre, as a CG renderer's
unfiltered AOVs do. Pass arrays are float32 views of the read-back targets, rows top first.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence

import moderngl
import numpy as np

from pipeline.cg.mesh import Mesh
from pipeline.errors import FacereplaceError
from pipeline.geometry import Intrinsics, invert_rigid

logger = logging.getLogger(__name__)

# pass name -> channel names, as written to EXR layers
PASSES: dict[str, tuple[str, ...]] = {
    "beauty": ("R", "G", "B"),
    "key": ("R", "G", "B"),
    "shadow": ("Y",),
    "spot": ("R", "G", "B"),
    "rim": ("R", "G", "B"),
    "matte": ("A",),
    "depth": ("Z",),
    "normals": ("X", "Y", "Z"),
    "head_local": ("X", "Y", "Z"),
    "teeth": ("A",),
}
# the passes every CG render provides (teeth is the built-in renderer's own extra, for ground truth)
STANDARD_PASSES: tuple[str, ...] = ("beauty", "key", "shadow", "spot", "rim", "matte", "depth", "normals", "head_local")
# where each pass sits in the render targets: (target, first component, components)
_LAYOUT: dict[str, tuple[int, int, int]] = {
    "beauty": (0, 0, 3), "matte": (0, 3, 1), "key": (1, 0, 3), "shadow": (1, 3, 1), "spot": (2, 0, 3),
    "teeth": (2, 3, 1), "rim": (3, 0, 3), "normals": (4, 0, 3), "depth": (4, 3, 1), "head_local": (5, 0, 3),
}
_TARGETS = 6
SHADOW_SIZE = 512


@dataclasses.dataclass(frozen=True)
class Lighting:
    """Lights in world space. Directions point from the surface towards the light."""

    key_direction: tuple[float, float, float] = (-0.5, 0.45, 0.75)
    key_colour: tuple[float, float, float] = (1.25, 1.18, 1.05)
    fill_direction: tuple[float, float, float] = (0.7, 0.1, 0.7)
    fill_colour: tuple[float, float, float] = (0.30, 0.32, 0.40)
    ambient: tuple[float, float, float] = (0.10, 0.10, 0.12)
    rim_direction: tuple[float, float, float] = (0.4, 0.5, -0.8)
    rim_colour: tuple[float, float, float] = (0.9, 0.85, 0.8)
    spot_position: tuple[float, float, float] = (0.6, 2.5, 1.5)
    spot_target: tuple[float, float, float] = (0.0, 1.6, 0.0)
    spot_cone_deg: float = 14.0
    spot_colour: tuple[float, float, float] = (0.9, 0.8, 0.6)
    shadow_radius: float = 0.6  # half size of the key's shadow map around the head, scene units
    background: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclasses.dataclass(frozen=True)
class Drawable:
    """A mesh and its texture; `key` names the pair so the GPU copies are reused across frames."""

    key: str
    mesh: Mesh
    texture: np.ndarray  # (H, W, 4) uint8, sRGB colour, alpha = teeth mask
    two_sided: bool = False  # closed meshes wound outwards are culled behind; ribbons and insides are not
    scenery: bool = False  # not the head (stage, body): lit by key and fill only, by a cheaper program


@dataclasses.dataclass(frozen=True)
class Instance:
    """A drawable placed in the world. `matte` is what it writes to the matte pass (1 for the head)."""

    drawable: Drawable
    model: np.ndarray  # (4, 4) local to world
    matte: float = 1.0
    casts_shadow: bool = True


@dataclasses.dataclass(frozen=True)
class SceneState:
    """Everything at one instant: the camera (camera-to-world and intrinsics), the head's frame, the lights."""

    camera: np.ndarray  # (4, 4) camera to world (Nuke: looks down -Z)
    intrinsics: Intrinsics
    head: np.ndarray  # (4, 4) head-local to world, for the head-local pass
    instances: tuple[Instance, ...]
    lighting: Lighting = Lighting()
    gobo: np.ndarray | None = None  # (H, W) uint8 cut-out of the spotlight, None = open
    near: float = 0.05
    far: float = 100.0


_VERTEX = """
#version 330
uniform mat4 model;
uniform mat4 view_proj;
uniform vec2 jitter;
in vec3 in_position;
in vec3 in_normal;
in vec2 in_uv;
out vec3 world_pos;
out vec3 world_normal;
out vec2 uv;
invariant gl_Position;
void main() {
    vec4 wp = model * vec4(in_position, 1.0);
    world_pos = wp.xyz;
    world_normal = mat3(model) * in_normal;
    uv = in_uv;
    vec4 clip = view_proj * wp;
    gl_Position = clip + vec4(jitter * clip.w, 0.0, 0.0);
}
"""

_FRAGMENT = """
#version 330
uniform sampler2D albedo_tex;
uniform sampler2DShadow shadow_map;
uniform sampler2D gobo_tex;
uniform mat4 light_view_proj;
uniform mat4 spot_view_proj;
uniform mat3 world_to_view_rot;
uniform vec3 camera_pos;
uniform vec3 key_dir; uniform vec3 key_colour;
uniform vec3 fill_dir; uniform vec3 fill_colour;
uniform vec3 ambient;
uniform vec3 rim_dir; uniform vec3 rim_colour;
uniform vec3 spot_pos; uniform vec3 spot_axis; uniform float spot_cos; uniform vec3 spot_colour;
uniform float matte_value;
uniform float colour_weight;
uniform float data_weight;
uniform mat4 world_to_head;
uniform mat4 world_to_view;
in vec3 world_pos; in vec3 world_normal; in vec2 uv;
layout(location = 0) out vec4 out_beauty;
layout(location = 1) out vec4 out_key;
layout(location = 2) out vec4 out_spot;
layout(location = 3) out vec4 out_rim;
layout(location = 4) out vec4 out_normal;
layout(location = 5) out vec4 out_head;

vec3 decode(vec3 c) { return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(0.04045, c)); }

void main() {
    vec4 tex = texture(albedo_tex, vec2(uv.x, 1.0 - uv.y), -1.0);  // sharper: the lips stretch when open
    vec3 albedo = decode(tex.rgb);
    vec3 V = normalize(camera_pos - world_pos);
    vec3 N = normalize(world_normal);
    if (dot(N, V) < 0.0) N = -N;  // two-sided: ears, hair and strands are seen from both sides
    // key light with its shadow map (a few PCF taps)
    float key_l = max(dot(N, key_dir), 0.0);
    vec4 ls = light_view_proj * vec4(world_pos, 1.0);
    vec3 lc = ls.xyz / ls.w * 0.5 + 0.5;
    float visible = 1.0;
    if (all(greaterThan(lc, vec3(0.0))) && all(lessThan(lc, vec3(1.0)))) {
        float bias = 0.0015 + 0.002 * (1.0 - key_l);
        visible = texture(shadow_map, vec3(lc.xy, lc.z - bias));  // 2x2 PCF by the linear filter
    }
    vec3 H = normalize(key_dir + V);
    float spec = pow(max(dot(N, H), 0.0), 24.0) * 0.12 * key_l;
    vec3 key = (albedo * key_l + spec) * key_colour * visible;
    float shadow = key_l * (1.0 - visible);
    vec3 fill = albedo * (max(dot(N, fill_dir), 0.0) * fill_colour + ambient);
    // spotlight through the gobo
    vec3 to_spot = spot_pos - world_pos;
    vec3 Ls = normalize(to_spot);
    float cone = smoothstep(spot_cos, mix(spot_cos, 1.0, 0.25), dot(-Ls, spot_axis));
    vec4 sp = spot_view_proj * vec4(world_pos, 1.0);
    vec2 suv = sp.xy / sp.w * 0.5 + 0.5;
    float gobo = sp.w > 0.0 ? texture(gobo_tex, suv).r : 0.0;
    vec3 spot = albedo * spot_colour * max(dot(N, Ls), 0.0) * cone * gobo;
    // clamped: dot(N, V) of unit vectors can round above 1, and pow() of a negative base is NaN on llvmpipe
    float fres = pow(clamp(1.0 - dot(N, V), 0.0, 1.0), 3.0);
    vec3 rim = rim_colour * fres * max(dot(N, rim_dir), 0.0) * (0.4 + 0.6 * albedo);
    vec3 beauty = key + fill + spot + rim;
    vec3 n_view = normalize(world_to_view_rot * N);
    out_beauty = vec4(beauty, matte_value) * colour_weight;
    out_key = vec4(key, shadow * matte_value) * colour_weight;
    out_spot = vec4(spot, tex.a * matte_value) * colour_weight;
    out_rim = vec4(rim, 1.0) * colour_weight;  // alpha: coverage of anything, for the background
    float depth = -dot(transpose(world_to_view)[2], vec4(world_pos, 1.0));
    out_normal = vec4(n_view, depth) * data_weight;
    out_head = vec4((world_to_head * vec4(world_pos, 1.0)).xyz * data_weight, 0.0);
}
"""

# Scenery (the stage): key and fill only, few varyings; at 1024² it covers most pixels, so it must be cheap.
_SCENERY_VERTEX = """
#version 330
uniform mat4 model;
uniform mat4 view_proj;
uniform mat4 world_to_view;
uniform vec2 jitter;
in vec3 in_position;
in vec3 in_normal;
in vec2 in_uv;
out vec3 view_normal;
out float view_depth;
out vec2 uv;
invariant gl_Position;
void main() {
    vec4 wp = model * vec4(in_position, 1.0);
    view_normal = mat3(world_to_view) * mat3(model) * in_normal;
    view_depth = -(world_to_view * wp).z;
    uv = in_uv;
    vec4 clip = view_proj * wp;
    gl_Position = clip + vec4(jitter * clip.w, 0.0, 0.0);
}
"""
_SCENERY_FRAGMENT = """
#version 330
uniform sampler2D albedo_tex;
uniform vec3 key_dir_view; uniform vec3 key_colour;
uniform vec3 fill_dir_view; uniform vec3 fill_colour;
uniform vec3 ambient;
uniform float colour_weight;
uniform float data_weight;
in vec3 view_normal; in float view_depth; in vec2 uv;
layout(location = 0) out vec4 out_beauty;
layout(location = 1) out vec4 out_key;
layout(location = 2) out vec4 out_spot;
layout(location = 3) out vec4 out_rim;
layout(location = 4) out vec4 out_normal;
layout(location = 5) out vec4 out_head;
void main() {
    vec3 c = texture(albedo_tex, vec2(uv.x, 1.0 - uv.y)).rgb;
    vec3 albedo = c * c;  // sRGB decode, near enough for scenery
    vec3 N = normalize(view_normal);
    N = N.z < 0.0 ? -N : N;
    vec3 key = albedo * max(dot(N, key_dir_view), 0.0) * key_colour;
    out_beauty = vec4(key + albedo * (max(dot(N, fill_dir_view), 0.0) * fill_colour + ambient), 0.0) * colour_weight;
    out_key = vec4(key, 0.0) * colour_weight;
    out_spot = vec4(0.0);
    out_rim = vec4(0.0, 0.0, 0.0, colour_weight);
    out_normal = vec4(N, view_depth) * data_weight;
    out_head = vec4(0.0);
}
"""

_DEPTH_VERTEX = """
#version 330
uniform mat4 model;
uniform mat4 light_view_proj;
in vec3 in_position;
void main() { gl_Position = light_view_proj * model * vec4(in_position, 1.0); }
"""
# Depth pre-pass of a motion-blur sub-sample: the same clip position as the colour programs, bit for bit.
_VIEW_DEPTH_VERTEX = """
#version 330
uniform mat4 model;
uniform mat4 view_proj;
uniform vec2 jitter;
in vec3 in_position;
invariant gl_Position;
void main() {
    vec4 wp = model * vec4(in_position, 1.0);
    vec4 clip = view_proj * wp;
    gl_Position = clip + vec4(jitter * clip.w, 0.0, 0.0);
}
"""
_DEPTH_FRAGMENT = """
#version 330
void main() {}
"""

def projection_matrix(intrinsics: Intrinsics, near: float, far: float, flip_y: bool = True) -> np.ndarray:
    """OpenGL projection matching `pipeline.geometry.project` pixel for pixel (pixel centres at integers).

    With `flip_y` the first row in memory is the image's top row, so read-backs need no flip.
    """
    w, h = intrinsics.width, intrinsics.height
    f = intrinsics.focal_px
    cx, cy = intrinsics.center
    p = np.zeros((4, 4))
    p[0, 0] = 2 * f / w
    p[0, 2] = -(2 * (cx + 0.5) / w - 1)
    sign = -1.0 if flip_y else 1.0
    p[1, 1] = sign * 2 * f / h
    p[1, 2] = sign * (1 - 2 * (cy + 0.5) / h)
    p[2, 2] = -(far + near) / (far - near)
    p[2, 3] = -2 * far * near / (far - near)
    p[3, 2] = -1.0
    return p


def look_at(eye, target) -> np.ndarray:
    """Camera-to-world (4, 4) of a camera (or light) at `eye` looking at `target`: down its -Z, Y as near up as
    can be (Z when looking straight up or down)."""
    eye, target = np.asarray(eye, dtype=np.float64), np.asarray(target, dtype=np.float64)
    back = eye - target
    back = back / np.linalg.norm(back)
    up = np.array([0.0, 1.0, 0.0]) if abs(back[1]) < 0.95 else np.array([0.0, 0.0, 1.0])
    right = np.cross(up, back)
    right /= np.linalg.norm(right)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, np.cross(back, right), back, eye
    return m


def _ortho(half: float, near: float, far: float) -> np.ndarray:
    m = np.eye(4)
    m[0, 0] = m[1, 1] = 1 / half
    m[2, 2] = -2 / (far - near)
    m[2, 3] = -(far + near) / (far - near)
    return m


def _unit(v) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    return a / np.linalg.norm(a)


def _gl(m: np.ndarray) -> bytes:
    """A matrix as OpenGL wants it (column-major float32)."""
    return np.ascontiguousarray(np.asarray(m, dtype=np.float32).T).tobytes()


def _load_triton_before_llvmpipe() -> None:
    """Triton (installed with torch) bundles its own LLVM. Loaded into a process where Mesa's llvmpipe (the
    software GL driver) has already loaded the system LLVM, it crashes the process; loaded first, both work.
    torch imports it lazily (e.g. use_deterministic_algorithms), so load it before the first GL context."""
    try:
        import triton  # noqa: F401
    except ImportError:  # a torch build without triton (CPU wheels, macOS): nothing to order
        pass


class Renderer:
    """A GL context and render targets at one image size; render many frames with it."""

    def __init__(self, width: int, height: int):
        _load_triton_before_llvmpipe()
        try:
            self.ctx = moderngl.create_standalone_context(backend="egl")
        except Exception as exc:  # the EGL stack is a system dependency: say which
            raise FacereplaceError(f"cannot create an OpenGL context with EGL ({exc}); install Mesa's EGL "
                                   "(Debian: libegl1 libegl-mesa0 libgl1-mesa-dri) or a GPU driver") from None
        self.width, self.height = int(width), int(height)
        ctx = self.ctx
        self.program = ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        self.depth_program = ctx.program(vertex_shader=_DEPTH_VERTEX, fragment_shader=_DEPTH_FRAGMENT)
        self.view_depth_program = ctx.program(vertex_shader=_VIEW_DEPTH_VERTEX, fragment_shader=_DEPTH_FRAGMENT)
        self.scenery_program = ctx.program(vertex_shader=_SCENERY_VERTEX, fragment_shader=_SCENERY_FRAGMENT)
        self.program["albedo_tex"] = 0
        self.program["shadow_map"] = 1
        self.program["gobo_tex"] = 2
        size = (self.width, self.height)
        self.fbo = ctx.framebuffer([ctx.renderbuffer(size, 4, dtype="f4") for _ in range(_TARGETS)],
                                   ctx.depth_renderbuffer(size))
        self.shadow_tex = ctx.depth_texture((SHADOW_SIZE, SHADOW_SIZE))
        self.shadow_tex.compare_func = "<="
        self.shadow_tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.shadow_tex.repeat_x = self.shadow_tex.repeat_y = False
        self.shadow_fbo = ctx.framebuffer(depth_attachment=self.shadow_tex)
        self._open_gobo = self._make_gobo(None)
        self._gobo_entry: tuple | None = None
        self._cache: dict[str, tuple] = {}
        self._textures: dict[int, tuple] = {}

    def release(self) -> None:
        self.ctx.release()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    # -- GPU resources ------------------------------------------------------------------------------------
    def _make_gobo(self, gobo: np.ndarray | None):
        data = np.full((4, 4), 255, np.uint8) if gobo is None else np.ascontiguousarray(gobo, dtype=np.uint8)
        tex = self.ctx.texture((data.shape[1], data.shape[0]), 1, data.tobytes())
        tex.repeat_x = tex.repeat_y = False
        tex.build_mipmaps()
        tex.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
        return tex

    def _gpu(self, drawable: Drawable):
        """Vertex arrays and texture of a drawable, uploaded once per key (a few are kept). Textures are
        shared by every drawable holding the same array (a head with and without hair)."""
        entry = self._cache.get(drawable.key)
        if entry is None or entry[0] is not drawable.mesh or entry[1] is not drawable.texture:
            self._release(drawable.key)
            if len(self._cache) > 48:  # drop the oldest
                self._release(next(iter(self._cache)))
            m = drawable.mesh
            vertices = np.hstack([m.positions, m.normals, m.uvs]).astype("f4")
            vbo = self.ctx.buffer(vertices.tobytes())
            ibo = self.ctx.buffer(m.faces.astype("i4").tobytes())
            program = self.scenery_program if drawable.scenery else self.program
            vao = self.ctx.vertex_array(program, [(vbo, "3f 3f 2f", "in_position", "in_normal", "in_uv")],
                                        index_buffer=ibo)
            depth_vao = self.ctx.vertex_array(self.depth_program, [(vbo, "3f 20x", "in_position")],
                                              index_buffer=ibo)
            view_depth_vao = self.ctx.vertex_array(self.view_depth_program, [(vbo, "3f 20x", "in_position")],
                                                   index_buffer=ibo)
            entry = (drawable.mesh, drawable.texture, vao, depth_vao, view_depth_vao, vbo, ibo)
            self._cache[drawable.key] = entry
        return entry[2], entry[3], entry[4], self._texture(drawable.texture)

    def _texture(self, tex: np.ndarray):
        entry = self._textures.get(id(tex))
        if entry is None or entry[0] is not tex:
            if len(self._textures) > 48:
                self._textures.pop(next(iter(self._textures)))[1].release()
            texture = self.ctx.texture((tex.shape[1], tex.shape[0]), 4, np.ascontiguousarray(tex).tobytes())
            texture.build_mipmaps()
            texture.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
            entry = (tex, texture)  # holding the array keeps its id from being reused
            self._textures[id(tex)] = entry
        return entry[1]

    def _release(self, key: str) -> None:
        entry = self._cache.pop(key, None)
        if entry is not None:
            for resource in entry[2:]:
                resource.release()

    def _gobo(self, gobo: np.ndarray | None):
        if gobo is None:
            return self._open_gobo
        if self._gobo_entry is None or self._gobo_entry[0] is not gobo:
            if self._gobo_entry is not None:
                self._gobo_entry[1].release()
            self._gobo_entry = (gobo, self._make_gobo(gobo))
        return self._gobo_entry[1]

    # -- drawing ------------------------------------------------------------------------------------------
    def _draw(self, state: SceneState, jitter: tuple[float, float], colour_weight: float, data_weight: float,
              accumulate: bool) -> None:
        """Draw one sub-sample into self.fbo: the key's shadow map, then every pass in one draw per instance.

        Accumulating, a depth pre-pass finds the nearest surface first, then only its fragments add their
        weighted passes (blending ONE, ONE): the motion blur sums on the GPU with no extra full-screen pass.
        """
        ctx, prog, fbo = self.ctx, self.program, self.fbo
        light = state.lighting
        head_pos = state.head[:3, 3]
        key_dir = _unit(light.key_direction)
        r = light.shadow_radius
        light_vp = _ortho(r, 0.01, 4 * r) @ invert_rigid(look_at(head_pos + key_dir * 2 * r, head_pos))
        # shadow map of the key light (both sides of every surface: less acne)
        self.shadow_fbo.use()
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.CULL_FACE)
        self.shadow_fbo.clear(depth=1.0)
        self.depth_program["light_view_proj"].write(_gl(light_vp))
        for inst in state.instances:
            if inst.casts_shadow:
                self.depth_program["model"].write(_gl(inst.model))
                self._gpu(inst.drawable)[1].render()
        fbo.use()
        world_to_view = invert_rigid(state.camera)
        proj = projection_matrix(state.intrinsics, state.near, state.far)
        spot_pos = np.asarray(light.spot_position, dtype=np.float64)
        spot_target = np.asarray(light.spot_target, dtype=np.float64)
        half = math.tan(math.radians(light.spot_cone_deg))
        spot_proj = np.zeros((4, 4))
        spot_proj[0, 0] = spot_proj[1, 1] = 1 / half
        spot_proj[2, 2], spot_proj[2, 3], spot_proj[3, 2] = -1.0, -0.02, -1.0
        values = {
            "view_proj": _gl(proj @ world_to_view), "world_to_head": _gl(invert_rigid(state.head)),
            "world_to_view": _gl(world_to_view), "light_view_proj": _gl(light_vp),
            "spot_view_proj": _gl(spot_proj @ invert_rigid(look_at(spot_pos, spot_target))),
            "world_to_view_rot": np.ascontiguousarray(world_to_view[:3, :3].T, dtype="f4").tobytes(),
        }
        for name, value in values.items():
            prog[name].write(value)
        prog["camera_pos"] = tuple(state.camera[:3, 3])
        prog["key_dir"], prog["key_colour"] = tuple(key_dir), light.key_colour
        prog["fill_dir"], prog["fill_colour"] = tuple(_unit(light.fill_direction)), light.fill_colour
        prog["ambient"] = light.ambient
        prog["rim_dir"], prog["rim_colour"] = tuple(_unit(light.rim_direction)), light.rim_colour
        prog["spot_pos"], prog["spot_colour"] = tuple(spot_pos), light.spot_colour
        prog["spot_axis"] = tuple(_unit(spot_target - spot_pos))
        prog["spot_cos"] = math.cos(math.radians(light.spot_cone_deg))
        prog["jitter"], prog["colour_weight"], prog["data_weight"] = jitter, colour_weight, data_weight
        self.shadow_tex.use(1)
        self._gobo(state.gobo).use(2)
        back = self.scenery_program
        back["view_proj"].write(values["view_proj"])
        back["world_to_view"].write(values["world_to_view"])
        back["key_dir_view"] = tuple(world_to_view[:3, :3] @ key_dir)
        back["fill_dir_view"] = tuple(world_to_view[:3, :3] @ _unit(light.fill_direction))
        back["key_colour"], back["fill_colour"], back["ambient"] = light.key_colour, light.fill_colour, light.ambient
        back["jitter"], back["colour_weight"], back["data_weight"] = jitter, colour_weight, data_weight
        ctx.front_face = "cw"  # the projection flips Y, so outward faces wind clockwise on screen
        if accumulate:
            fbo.color_mask = ((False,) * 4,) * _TARGETS
            fbo.clear(depth=1.0)
            depth = self.view_depth_program
            depth["view_proj"].write(values["view_proj"])
            depth["jitter"] = jitter
            for inst in state.instances:
                depth["model"].write(_gl(inst.model))
                self._cull(not inst.drawable.two_sided)
                self._gpu(inst.drawable)[2].render()
            fbo.color_mask = ((True,) * 4,) * _TARGETS
            fbo.depth_mask = False
            ctx.depth_func = "<="
            ctx.enable(moderngl.BLEND)
            ctx.blend_func = moderngl.ONE, moderngl.ONE
        for inst in state.instances:  # in the given order: the head first hides what is behind it early
            vao, _, _, texture = self._gpu(inst.drawable)
            texture.use(0)
            program = back if inst.drawable.scenery else prog
            program["model"].write(_gl(inst.model))
            if not inst.drawable.scenery:
                prog["matte_value"] = float(inst.matte)
            self._cull(not inst.drawable.two_sided)
            vao.render()
        self._cull(False)
        fbo.depth_mask = True
        ctx.depth_func = "<"
        ctx.disable(moderngl.BLEND)

    def _cull(self, on: bool) -> None:
        (self.ctx.enable if on else self.ctx.disable)(moderngl.CULL_FACE)

    def render(self, states: Sequence[SceneState]) -> dict[str, np.ndarray]:
        """Every pass of one frame, motion blurred over `states` (the shutter's sub-samples, in time order)."""
        if not states:
            raise ValueError("render needs at least one scene state")
        for s in states:
            if (s.intrinsics.width, s.intrinsics.height) != (self.width, self.height):
                raise ValueError(f"scene camera is {s.intrinsics.width}x{s.intrinsics.height}, renderer "
                                 f"{self.width}x{self.height}")
        n = len(states)
        self.fbo.use()
        self.fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        for i, state in enumerate(states):
            self._draw(state, _jitter(i, n, self.width, self.height), 1.0 / n, 1.0 if i == n // 2 else 0.0,
                       accumulate=n > 1)
        targets = []
        for k in range(_TARGETS):
            target = np.empty((self.height, self.width, 4), np.float32)
            self.fbo.read_into(target, attachment=k, components=4, dtype="f4")
            targets.append(target)
        background = np.asarray(states[n // 2].lighting.background, dtype=np.float32)
        if background.any():  # behind everything, weighted by what the samples left uncovered
            targets[0][..., :3] += (1.0 - targets[3][..., 3:4]) * background
        # views, not copies: at 1024² the copies would cost as much as the rendering
        return {name: targets[t][..., c:c + k] if k > 1 else targets[t][..., c] for name, (t, c, k) in _LAYOUT.items()}


def _jitter(i: int, n: int, width: int, height: int) -> tuple[float, float]:
    """Sub-pixel offset (NDC) of sub-sample i of n: a rotated grid, so blurred edges are anti-aliased too."""
    if n == 1:
        return (0.0, 0.0)
    golden = 0.6180339887
    jx = ((i * golden) % 1.0) - 0.5
    jy = ((i + 0.5) / n) - 0.5
    return (2 * jx / width, 2 * jy / height)


def shutter_times(frame: float, shutter: float, samples: int) -> list[float]:
    """Times of `samples` sub-samples centred on `frame` over `shutter` frames (0.5 = a 180° shutter)."""
    if samples <= 1 or shutter <= 0:
        return [float(frame)]
    return [frame + shutter * ((i + 0.5) / samples - 0.5) for i in range(samples)]
