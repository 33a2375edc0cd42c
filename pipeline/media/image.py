"""Still images in and out: EXR (named channels, half or float), PNG 8/16-bit, JPEG.

Pixels are float32 everywhere in the engine. EXR holds linear values as stored; PNG and JPEG hold
display-encoded (sRGB) values in 0..1, decoded to linear only when asked (`srgb_decode=True`).
Every write is atomic: a reader never sees a half-written image.
The format of a file being read is judged from its first bytes, not its extension.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import OpenEXR

from pipeline.atomic import atomic_path
from pipeline.errors import MediaError

log = logging.getLogger(__name__)

WRITE_FORMATS = {".exr": "exr", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}
# Channel order as given to write_exr; OpenEXR itself stores channels sorted by name.
_ORDER_ATTRIBUTE = "facereplace/channelOrder"
_MAGIC = ((b"\x76\x2f\x31\x01", "exr"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"))
_RGBA = ("R", "G", "B", "A")


# --- sRGB ------------------------------------------------------------------------------------------------

def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """Decode sRGB-encoded values (IEC 61966-2-1 piecewise curve) to linear light, as float32."""
    v = np.asarray(values, dtype=np.float32)
    return np.where(v <= 0.04045, v / 12.92, np.power((np.maximum(v, 0.04045) + 0.055) / 1.055, 2.4)).astype(np.float32)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Encode linear light to sRGB (IEC 61966-2-1 piecewise curve), as float32; negatives stay linear."""
    v = np.asarray(values, dtype=np.float32)
    return np.where(v <= 0.0031308, v * 12.92,
                    1.055 * np.power(np.maximum(v, 0.0031308), 1 / 2.4) - 0.055).astype(np.float32)


def _build_half_to_srgb8() -> np.ndarray:
    halves = np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float32)
    with np.errstate(invalid="ignore"):
        encoded = linear_to_srgb(np.nan_to_num(halves, nan=0.0, posinf=1.0, neginf=0.0))
    return np.round(np.clip(encoded, 0.0, 1.0) * 255.0).astype(np.uint8)


_HALF_TO_SRGB8 = _build_half_to_srgb8()


def linear_to_srgb8(values: np.ndarray) -> np.ndarray:
    """Linear float (any shape) to 8-bit sRGB through a lookup table on the half-float bits.

    Half precision is finer than 8-bit output everywhere in 0..1, and a table lookup is an order of
    magnitude faster than the power curve, which matters for review clips of 1080p plates.
    """
    return _HALF_TO_SRGB8[np.asarray(values).astype(np.float16).view(np.uint16)]


# --- EXR ---------------------------------------------------------------------------------------------------

COLOUR_SPACE_ATTRIBUTE = "oiio:ColorSpace"

def write_exr(path: str | os.PathLike, channels: Mapping[str, np.ndarray], *, half: bool = True,
              fps: Fraction | None = None, pixel_aspect: float = 1.0, colour_space: str | None = None) -> Path:
    """Write named 2D channels (e.g. R, G, B, A, mask, depth.Z) as one scanline EXR, atomically.

    `half` stores 16-bit floats (the usual plate format), else 32-bit. `fps` is written as the standard
    `framesPerSecond` attribute so a sequence carries its rate; `colour_space` names the OCIO colour space of
    the values in the `oiio:ColorSpace` attribute (read by OpenImageIO, Nuke and most OCIO-aware tools).
    """
    dest = Path(path)
    if not channels:
        raise MediaError(f"{dest}: no channels to write")
    arrays = {name: np.asarray(a) for name, a in channels.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        detail = ", ".join(f"{n}: {a.shape}" for n, a in arrays.items())
        raise MediaError(f"{dest}: EXR channels must be 2D arrays of one size, got {detail}")
    dtype = np.float16 if half else np.float32
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage,
              "pixelAspectRatio": float(pixel_aspect), _ORDER_ATTRIBUTE: " ".join(arrays)}
    if fps is not None:
        header["framesPerSecond"] = Fraction(fps)
    if colour_space:
        header[COLOUR_SPACE_ATTRIBUTE] = colour_space
    exr = OpenEXR.File(header, {name: OpenEXR.Channel(np.ascontiguousarray(a, dtype=dtype))
                                for name, a in arrays.items()})
    with atomic_path(dest) as tmp:
        exr.write(str(tmp))
    return dest


def _open_exr(path: Path, *, header_only: bool) -> OpenEXR.File:
    _require_file(path)
    try:
        return OpenEXR.File(str(path), separate_channels=True, header_only=header_only)
    except Exception as exc:  # OpenEXR raises plain RuntimeError/ValueError for damaged files
        raise MediaError(f"{path}: cannot read this EXR file, it is damaged or truncated ({exc})") from None


def read_exr(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read every channel of a (first-part) EXR as float32 2D arrays over its display window.

    Channels come back in the order they were written by `write_exr`, otherwise in the file's order.
    """
    p = Path(path)
    exr = _open_exr(p, header_only=False)
    header = exr.header()
    try:
        pixels = {name: ch.pixels for name, ch in exr.channels().items()}
    except Exception as exc:
        raise MediaError(f"{p}: cannot read the pixels of this EXR file, it is damaged or truncated ({exc})") from None
    order = str(header.get(_ORDER_ATTRIBUTE, "")).split()
    names = [n for n in order if n in pixels] + [n for n in pixels if n not in order]
    (dx0, dy0), (dx1, dy1) = header["dataWindow"]
    (wx0, wy0), (wx1, wy1) = header["displayWindow"]
    out: dict[str, np.ndarray] = {}
    for name in names:
        data = np.asarray(pixels[name], dtype=np.float32)
        if (dx0, dy0, dx1, dy1) != (wx0, wy0, wx1, wy1):
            data = _to_display_window(data, (dx0, dy0, dx1, dy1), (wx0, wy0, wx1, wy1))
        out[name] = data
    return out


def _to_display_window(data: np.ndarray, data_window: tuple[int, ...], display: tuple[int, ...]) -> np.ndarray:
    """Place a data window (overscan or crop) into the display window, zero outside it."""
    dx0, dy0, _, _ = data_window
    wx0, wy0, wx1, wy1 = display
    out = np.zeros((wy1 - wy0 + 1, wx1 - wx0 + 1), np.float32)
    y0, x0 = dy0 - wy0, dx0 - wx0
    ys, xs = slice(max(y0, 0), max(0, min(y0 + data.shape[0], out.shape[0]))), \
        slice(max(x0, 0), max(0, min(x0 + data.shape[1], out.shape[1])))
    out[ys, xs] = data[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0]
    return out


def exr_header(path: str | os.PathLike) -> dict:
    """An EXR's whole header (its attributes by name), read without its pixels; a damaged file is a MediaError."""
    return _open_exr(Path(path), header_only=True).header()


def exr_header_info(path: str | os.PathLike) -> dict:
    """Size, pixel aspect, fps (or None), channel names, colour space (or None) and SMPTE timecode (or None) of an
    EXR, from its header."""
    p = Path(path)
    header = _open_exr(p, header_only=True).header()
    (x0, y0), (x1, y1) = header["displayWindow"]
    fps = header.get("framesPerSecond")
    return {"width": int(x1 - x0 + 1), "height": int(y1 - y0 + 1),
            "pixel_aspect": Fraction(float(header.get("pixelAspectRatio", 1.0))).limit_denominator(1000),
            "fps": Fraction(fps) if fps is not None and Fraction(fps) > 0 else None,
            "channels": [c.name for c in header["channels"]], "colour_space": header.get(COLOUR_SPACE_ATTRIBUTE),
            "compression": str(header["compression"]).rsplit(".", 1)[-1].removesuffix("_COMPRESSION").lower(),
            "timecode": _timecode_text(header.get("timeCode"))}


def _timecode_text(tc: OpenEXR.TimeCode | None) -> str | None:
    """An EXR's timeCode attribute (written by cameras, Resolve, Nuke) as SMPTE text, ';' before the frames when
    it is drop-frame."""
    if tc is None:
        return None
    return f"{tc.hours:02d}:{tc.minutes:02d}:{tc.seconds:02d}{';' if tc.dropFrame else ':'}{tc.frame:02d}"


def layers_from_channels(channels: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Group channels into layers: `beauty.R/G/B/A` -> layer "beauty" (HxWxC), plain R/G/B/A -> "rgba".

    Colour channels are ordered R, G, B, A; any other channel (`mask`, `depth.Z`) becomes a one-channel
    layer under its own full name.
    """
    groups: dict[str, dict[str, np.ndarray]] = {}
    for name, array in channels.items():
        layer, _, last = name.rpartition(".")
        if last in _RGBA:
            groups.setdefault(layer or "rgba", {})[last] = array
        else:
            groups.setdefault(name, {})[""] = array
    layers: dict[str, np.ndarray] = {}
    for layer, parts in groups.items():
        if "" in parts:
            layers[layer] = np.asarray(parts[""], np.float32)[..., None]
        else:
            layers[layer] = np.stack([parts[c] for c in _RGBA if c in parts], axis=-1).astype(np.float32)
    return layers


def channels_from_layers(layers: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Inverse of `layers_from_channels`: HxWxC layers to named 2D channels ("rgba" -> R, G, B, A)."""
    channels: dict[str, np.ndarray] = {}
    for layer, array in layers.items():
        a = np.asarray(array, np.float32)
        if a.ndim == 2 or a.shape[-1] == 1:
            channels[layer] = a.reshape(a.shape[:2])
            continue
        if a.shape[-1] > 4:
            raise MediaError(f"layer {layer!r} has {a.shape[-1]} channels; at most 4 (R, G, B, A) fit one layer")
        prefix = "" if layer == "rgba" else f"{layer}."
        for i, c in enumerate(_RGBA[:a.shape[-1]]):
            channels[prefix + c] = a[..., i]
    return channels


# --- any still image -----------------------------------------------------------------------------------------

def sniff_format(path: str | os.PathLike) -> str | None:
    """"exr", "png", "jpeg" from the file's first bytes, or None when it is none of these."""
    with open(path, "rb") as f:
        head = f.read(8)
    return next((fmt for magic, fmt in _MAGIC if head.startswith(magic)), None)


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) of an image, reading as little of it as its format allows."""
    p = Path(path)
    fmt = _checked_format(p)
    if fmt == "exr":
        info = exr_header_info(p)
        return info["width"], info["height"]
    from PIL import Image

    try:
        with Image.open(p) as im:
            return im.size
    except Exception as exc:
        raise MediaError(f"{p}: cannot read this {fmt.upper()} image, it is damaged ({exc})") from None


def write_image(path: str | os.PathLike, image: np.ndarray, *, bits: int = 8, half: bool = True,
                srgb_encode: bool = False) -> Path:
    """Write an HxW, HxWx3 or HxWx4 float32 image as PNG (8/16-bit), JPEG or EXR, chosen by extension.

    PNG and JPEG take values in 0..1 (clipped); with `srgb_encode` linear values are encoded to sRGB
    first. EXR stores the values as given (R, G, B, A channels; a 2D image becomes channel Y), `half`
    or float.
    """
    dest = Path(path)
    fmt = WRITE_FORMATS.get(dest.suffix.lower())
    if fmt is None:
        raise MediaError(f"{dest}: cannot write {dest.suffix or 'files without an extension'}; "
                         f"use one of {', '.join(WRITE_FORMATS)}")
    a = np.asarray(image, dtype=np.float32)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)):
        raise MediaError(f"{dest}: expected an HxW, HxWx3 or HxWx4 image, got shape {a.shape}")
    if fmt == "exr":
        if srgb_encode:
            raise ValueError("EXR stores linear values: write it without srgb_encode")
        return write_exr(dest, exr_channels(a), half=half)
    if bits not in (8, 16) or (fmt == "jpeg" and bits != 8):
        raise MediaError(f"{dest}: {fmt.upper()} cannot hold {bits}-bit values (PNG: 8 or 16, JPEG: 8)")
    if srgb_encode:
        a = linear_to_srgb(a) if a.ndim == 2 else np.concatenate(
            [linear_to_srgb(a[..., :3]), a[..., 3:]], axis=-1)
    scale = 65535.0 if bits == 16 else 255.0
    pixels = np.round(np.clip(np.nan_to_num(a), 0.0, 1.0) * scale).astype(np.uint16 if bits == 16 else np.uint8)
    if fmt == "jpeg" and pixels.ndim == 3 and pixels.shape[-1] == 4:
        raise MediaError(f"{dest}: JPEG has no alpha; write PNG or EXR, or drop the alpha channel")
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR if pixels.shape[-1] == 3 else cv2.COLOR_RGBA2BGRA)
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if fmt == "jpeg" else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    with atomic_path(dest) as tmp:
        if not cv2.imwrite(str(tmp), pixels, params):
            raise MediaError(f"{dest}: could not write the image (is the folder writable?)")
    return dest


def exr_channels(image: np.ndarray) -> dict[str, np.ndarray]:
    """An HxW or HxWxC (C <= 4) image as EXR channels: Y, or R, G, B[, A]."""
    a = np.asarray(image, np.float32)
    if a.ndim == 2 or a.shape[-1] == 1:
        return {"Y": a.reshape(a.shape[:2])}
    return {c: a[..., i] for i, c in enumerate(_RGBA[:a.shape[-1]])}


def read_image(path: str | os.PathLike, *, srgb_decode: bool = False) -> np.ndarray:
    """Read an image as float32 HxWxC (C = 1, 3 or 4, RGB(A) order).

    EXR comes back linear as stored (R, G, B[, A], or its single Y channel); PNG/JPEG come back in 0..1,
    decoded from sRGB to linear when `srgb_decode` (alpha is never decoded).
    """
    p = Path(path)
    fmt = _checked_format(p)
    if fmt == "exr":
        return _stack_exr(p, read_exr(p))
    pixels = _read_integer_pixels(p, fmt)
    image = pixels.astype(np.float32) / (65535.0 if pixels.dtype == np.uint16 else 255.0)
    return decode_srgb_colour(image) if srgb_decode else image


def read_srgb8(path: str | os.PathLike, *,
               from_linear: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Read an image for display as HxWx3 uint8 sRGB: EXR encoded from linear, PNG/JPEG as stored.

    Alpha is dropped and grey expanded to RGB. The fast way for review clips and thumbnails: a half
    EXR goes from its stored bits to 8-bit sRGB through one table lookup, with no float32 image between.
    `from_linear` replaces that encode (HxWxC linear, half or float, to HxWx3 uint8), e.g. an OCIO view.
    """
    encode = from_linear or srgb8_from_linear
    p = Path(path)
    fmt = _checked_format(p)
    if fmt != "exr":
        return srgb8_from_display(_read_integer_pixels(p, fmt))
    try:
        exr = OpenEXR.File(str(p))
        header, channels = exr.header(), exr.channels()
        rgb = channels.get("RGB") or channels.get("RGBA")
        pixels = None if rgb is None else rgb.pixels
    except Exception as exc:
        raise MediaError(f"{p}: cannot read this EXR file, it is damaged or truncated ({exc})") from None
    if pixels is None or not np.array_equal(header["dataWindow"], header["displayWindow"]):
        return encode(_stack_exr(p, read_exr(p)))
    return encode(pixels)


def srgb8_from_linear(image: np.ndarray) -> np.ndarray:
    """HxWxC linear (any float dtype) to HxWx3 uint8 sRGB, alpha dropped, grey expanded."""
    return linear_to_srgb8(_rgb(image))


def srgb8_from_display(image: np.ndarray) -> np.ndarray:
    """HxWxC display-encoded values (float 0..1, uint8 or uint16) to HxWx3 uint8, alpha dropped, grey expanded."""
    rgb = _rgb(image)
    if rgb.dtype == np.uint8:
        return np.ascontiguousarray(rgb)
    scale = 255.0 / 65535.0 if rgb.dtype == np.uint16 else 255.0
    return np.round(np.clip(rgb * scale, 0.0, 255.0)).astype(np.uint8)


def _rgb(image: np.ndarray) -> np.ndarray:
    return image[..., :3] if image.shape[-1] >= 3 else np.repeat(image[..., :1], 3, axis=-1)


def _read_integer_pixels(path: Path, fmt: str) -> np.ndarray:
    """PNG/JPEG pixels as stored (uint8 or uint16), HxWxC in RGB(A) order."""
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise MediaError(f"{path}: cannot decode this {fmt.upper()} image, it is damaged or truncated")
    if pixels.ndim == 2:
        return pixels[..., None]
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB if pixels.shape[-1] == 3 else cv2.COLOR_BGRA2RGBA)


def decode_srgb_colour(image: np.ndarray) -> np.ndarray:
    """Decode the colour channels of an HxWxC display-encoded image to linear, in place; alpha is kept."""
    colour = min(image.shape[-1], 3)
    image[..., :colour] = srgb_to_linear(image[..., :colour])
    return image


def _stack_exr(path: Path, channels: dict[str, np.ndarray]) -> np.ndarray:
    if all(c in channels for c in "RGB"):
        names = [c for c in _RGBA if c in channels]
    elif "Y" in channels:
        names = ["Y"] + (["A"] if "A" in channels else [])
    else:
        raise MediaError(f"{path}: EXR has no R, G, B or Y channels (it has {', '.join(channels)}); "
                         "read it with read_exr to get its named channels")
    return np.stack([channels[n] for n in names], axis=-1)


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise MediaError(f"{path}: no such file")


def _checked_format(path: Path) -> str:
    _require_file(path)
    fmt = sniff_format(path)
    if fmt is None:
        raise MediaError(f"{path}: not an EXR, PNG or JPEG image (judged from its content, not its name)")
    return fmt
