"""Rendering a world: the tile map, an ASCII picture (in the map legend, so it loads back as a map) and RGB images."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from gridenv.parallel_env import GridParallelEnv

TILE_PIXELS = 16
"""Side of one grid cell in rgb_array images, in pixels."""

_EMPTY_RGB = (235, 235, 228)
_WALL_RGB = (70, 70, 78)
_GROUP_RGB = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14),
              (23, 190, 207), (227, 119, 194), (140, 86, 75), (188, 189, 34), (127, 127, 127)]
_CONVERTER_RGB = {"mine": (120, 200, 230), "charger": (250, 200, 40), "altar": (200, 60, 160)}
_FALLBACK_CONVERTER_RGB = [(90, 170, 120), (170, 120, 60), (100, 100, 200), (200, 150, 150)]


def map_codes(env: GridParallelEnv) -> np.ndarray:
    """What renderers draw, (height, width) uint8: 0 empty, 1 wall, 2 agent, 3 + k converter of kind k."""
    out = np.empty((env.world.height, env.world.width), dtype=np.uint8)
    env.world.fill_map_codes(out)
    return out


def _agents_on_grid(env: GridParallelEnv) -> list[tuple[list[int], int]]:
    """((row, col, orientation), group) of the agents still on the grid (not those that reached the goal)."""
    world = env.world
    return [(position, group) for position, group, present in
            zip(world.agent_positions().tolist(), env.game.agent_groups, world.agents_on_grid().tolist()) if present]


def ansi(env: GridParallelEnv) -> str:
    """The map as text in the ASCII-map legend: '#' wall, '.' empty, converter symbols, agents as group digits."""
    tile_map = map_codes(env)
    symbols = np.array(["."] + ["#"] + ["?"] + [c.symbol for c in env.config.game.converters.values()])
    chars = symbols[tile_map]
    for (row, col, _), group in _agents_on_grid(env):
        chars[row, col] = str(group)
    return "\n".join("".join(row) for row in chars) + "\n"


def rgb_array(env: GridParallelEnv) -> np.ndarray:
    """An RGB image (height * TILE_PIXELS, width * TILE_PIXELS, 3) uint8; agents show their facing side in black."""
    tile_map = map_codes(env)
    palette = [_EMPTY_RGB, _WALL_RGB, _EMPTY_RGB]
    for k, name in enumerate(env.config.game.converters):
        palette.append(_CONVERTER_RGB.get(name, _FALLBACK_CONVERTER_RGB[k % len(_FALLBACK_CONVERTER_RGB)]))
    cells = np.asarray(palette, dtype=np.uint8)[tile_map]
    on_grid = _agents_on_grid(env)
    for (row, col, _), group in on_grid:
        cells[row, col] = _GROUP_RGB[group % len(_GROUP_RGB)]
    image = np.repeat(np.repeat(cells, TILE_PIXELS, axis=0), TILE_PIXELS, axis=1)
    edge = TILE_PIXELS // 4
    for (row, col, orientation), _ in on_grid:
        top, left = row * TILE_PIXELS, col * TILE_PIXELS
        tile = image[top:top + TILE_PIXELS, left:left + TILE_PIXELS]
        facing = {0: tile[:edge, :], 1: tile[-edge:, :], 2: tile[:, :edge], 3: tile[:, -edge:]}[orientation]
        facing[...] = 0
    return image


def write_png(path, image: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 image as a PNG, atomically. Plain zlib: a PNG writer is all gridenv needs of an
    imaging library, so it takes no dependency for it."""
    import struct
    import zlib
    from pathlib import Path

    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image: expected (H, W, 3) uint8, got {image.shape} {image.dtype}")
    height, width, _ = image.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, width * 3)], axis=1)
    payload = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
               + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b""))
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(payload)
    tmp.replace(path)
