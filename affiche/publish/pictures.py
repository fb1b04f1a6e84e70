"""How a page shows an uploaded image: `<picture>` with WebP and JPEG `srcset`s of its variants
(affiche/domain/image_variants.py), `sizes` telling the browser how wide it is shown, intrinsic
`width`/`height` (no layout shift while it loads) and `loading="lazy"`.

The browser picks the smallest variant that covers the shown width at the screen's density, so
no page makes anyone download an image wider than it shows; `src` (browsers without `srcset`)
is the variant closest above the shown width. Images stored before variants existed have no
size in their key and are shown as they are, still lazily.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from affiche.domain import image_variants


@dataclass(frozen=True)
class Role:
    """Where an image is shown: its CSS width in pixels (at most) and the `sizes` attribute."""

    shown: int
    sizes: str


# main is at most 52rem wide with 1rem of padding each side (site.css): 50rem = 800 px.
FULL_WIDTH = Role(800, "(max-width: 52rem) calc(100vw - 2rem), 50rem")
ROLES = {
    "avatar": Role(96, "96px"),
    "banner": FULL_WIDTH,
    "picture": FULL_WIDTH,
    "thumbnail": Role(128, "8rem"),  # the dashboard's "current image"
}


def picture(key: str | None, role: str, alt: str = "", css_class: str = "") -> Markup:
    """The HTML showing the uploaded image `key` in `role`; nothing without a key."""
    if not key:
        return Markup("")
    shape = ROLES[role]
    attrs = {"class": css_class or role, "alt": alt, "loading": "lazy", "decoding": "async"}
    sized = image_variants.parse(key)
    if sized is None:  # stored before variants existed
        return Markup("<img{}>").format(_attributes({"src": f"/{key}", **attrs}))
    widths = sized.widths()
    fallback = next((w for w in widths if w >= shape.shown), widths[-1])
    shown = min(shape.shown, sized.width)

    def srcset(extension: str) -> str:
        return ", ".join(f"/{sized.key(w, extension)} {w}w" for w in widths)

    img = {"src": f"/{sized.key(fallback, 'jpg')}", "srcset": srcset("jpg"),
           "sizes": shape.sizes, "width": str(shown), "height": str(sized.height_at(shown)),
           **attrs}
    return Markup('<picture><source type="image/webp"{}><img{}></picture>').format(
        _attributes({"srcset": srcset("webp"), "sizes": shape.sizes}), _attributes(img))


def _attributes(values: dict[str, str]) -> Markup:
    return Markup("").join(Markup(' {}="{}"').format(name, escape(value))
                           for name, value in values.items())
