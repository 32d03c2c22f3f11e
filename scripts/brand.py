"""Draw the brand images (run: scripts/brand): icon 256/512 and a logo.

A handset bridging two signal arcs: the API rings two phones and joins them.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).parent.parent / "custom_components" / "connectcall" / "brand"
BLUE = (10, 108, 255, 255)
DARK = (5, 52, 128, 255)
WHITE = (255, 255, 255, 255)


def _handset(big: int) -> Image.Image:
    """A white receiver: an arched handle with ear and mouth pieces."""
    layer = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    s = big / 256
    cx, cy, r, w = 128 * s, 150 * s, 78 * s, 26 * s
    draw.arc((cx - r, cy - r, cx + r, cy + r), 205, 335, fill=WHITE, width=int(w))
    for angle in (205, 335):
        # The pieces sit at the arc's ends, a little below the handle.
        x = cx + (r - w / 2) * math.cos(math.radians(angle))
        y = cy + (r - w / 2) * math.sin(math.radians(angle)) + 18 * s
        draw.rounded_rectangle(
            (x - 30 * s, y - 16 * s, x + 30 * s, y + 16 * s),
            radius=int(14 * s),
            fill=WHITE,
        )
    return layer.rotate(
        -28, resample=Image.Resampling.BICUBIC, center=(big / 2, big / 2)
    )


def icon(size: int) -> Image.Image:
    """The icon, drawn at 4x and scaled down for smooth edges."""
    big = size * 4
    s = big / 256
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(56 * s), fill=BLUE)
    img.alpha_composite(_handset(big), (0, int(22 * s)))
    # Two signal arcs: the two legs the server rings and joins.
    draw = ImageDraw.Draw(img)
    for radius in (26, 50):
        r = radius * s
        cx, cy = 186 * s, 70 * s
        draw.arc(
            (cx - r, cy - r, cx + r, cy + r), 250, 20, fill=WHITE, width=int(13 * s)
        )
    return img.resize((size, size), Image.Resampling.LANCZOS)


def logo() -> Image.Image:
    """The icon beside the name."""
    img = Image.new("RGBA", (900, 256), (0, 0, 0, 0))
    img.alpha_composite(icon(256))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=96)
    draw.text((290, 128), "Connect Call", font=font, fill=DARK, anchor="lm")
    return img


def main() -> None:
    """Write the images."""
    OUT.mkdir(parents=True, exist_ok=True)
    icon(256).save(OUT / "icon.png", optimize=True)
    icon(512).save(OUT / "icon@2x.png", optimize=True)
    logo().save(OUT / "logo.png", optimize=True)


if __name__ == "__main__":
    main()
