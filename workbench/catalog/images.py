"""Images in a user turn: what one is, how it is checked, and how it is sent.

A turn keeps its text in ``content`` and its images apart, each
``{"url": ..., "name": ...}`` (``detail`` too when a body gave one). The URL
is a ``data:`` URL of an uploaded picture or an ``https://`` URL given as
text, which the workbench never fetches (its CSP forbids it; the provider
fetches it). The request builder sends such a turn as content parts, text
first, and ``turn_from_parts`` reads parts back, for Import.
"""

import base64
import binascii
import re
from typing import Any

from workbench.catalog.entries import Model

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # one uploaded picture
MAX_IMAGES = 4  # pictures in one message
MAX_URL = 2048  # characters of an https URL
MAX_NAME = 200
# The formats OpenAI's vision models take, known by their first bytes.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
DETAILS = ("auto", "low", "high")
_DATA_URL = re.compile(r"data:(image/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/]*={0,2})")
# A host, then anything but spaces and control characters (it is escaped where shown).
_HTTPS_URL = re.compile(r"https://[^\s/?#\x00-\x1f\x7f]+[^\s\x00-\x1f\x7f]*")
# The longest data URL an image within the limit gives.
MAX_DATA_URL = len("data:image/jpeg;base64,") + 4 * (MAX_IMAGE_BYTES // 3 + 1)


def takes_images(model: Model) -> bool:
    return "image" in model.capabilities.get("input", [])


def sniff(data: bytes) -> str | None:
    """The image type of ``data`` by its first bytes (never by a name), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for mime, heads in SIGNATURES.items():
        if data.startswith(heads):
            return mime
    return None


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def is_data_url(url: str) -> bool:
    return url.startswith("data:")


def url_problem(url: Any) -> str | None:
    """Why ``url`` cannot be an image of a turn, or None. A data URL must hold a
    picture of a known type within the size limit; another must be https."""
    if not isinstance(url, str):
        return "must be a URL (text)"
    if is_data_url(url):
        if len(url) > MAX_DATA_URL:
            return f"holds more than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB"
        found = _DATA_URL.fullmatch(url)
        if not found:
            return "must be a base64 data URL of a PNG, JPEG, GIF or WebP image"
        try:
            head = base64.b64decode(found[2][:64], validate=True)
        except (binascii.Error, ValueError):
            return "is not valid base64"
        if sniff(head) != found[1]:
            return f"does not hold the {found[1]} image it names"
        return None
    if len(url) > MAX_URL or not _HTTPS_URL.fullmatch(url):
        return f"must be an https:// URL of at most {MAX_URL:,} characters, or a data URL"
    return None


def images_problem(images: Any) -> str | None:
    """Why a turn's ``images`` are not valid, or None."""
    if not isinstance(images, list) or not 1 <= len(images) <= MAX_IMAGES:
        return f"must be a list of 1 to {MAX_IMAGES} images"
    for i, image in enumerate(images):
        if not isinstance(image, dict) or set(image) - {"url", "name", "detail"}:
            return f"image {i + 1} must be {{url, name, detail}}"
        if found := url_problem(image.get("url")):
            return f"image {i + 1} {found}"
        name = image.get("name", "")
        if not isinstance(name, str) or len(name) > MAX_NAME:
            return f"image {i + 1} has a name that is not text of at most {MAX_NAME} characters"
        if image.get("detail", "auto") not in DETAILS:
            return f"image {i + 1} has a detail that is not one of {', '.join(DETAILS)}"
    return None


def content_parts(text: str, images: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A turn's text and images as content parts: the text (if any), then each image."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for image in images:
        image_url = {"url": image["url"]}
        if "detail" in image:
            image_url["detail"] = image["detail"]
        parts.append({"type": "image_url", "image_url": image_url})
    return parts


def turn_from_parts(parts: Any) -> tuple[str, list[dict[str, Any]]]:
    """Content parts read back: the text (its parts joined) and the images.
    Raises ValueError saying what is not a text or image part."""
    if not isinstance(parts, list):
        raise ValueError("must be text or a list of content parts")
    texts, images = [], []
    for i, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url" and isinstance(part.get("image_url"), dict):
            image = {k: v for k, v in part["image_url"].items() if k in ("url", "detail")}
            images.append({**image, "name": ""})
        else:
            raise ValueError(
                f"has a content part ({i + 1}) that is neither {{type: text, text}} "
                "nor {type: image_url, image_url: {url}}"
            )
    if images and (found := images_problem(images)):
        raise ValueError(found)
    return "\n\n".join(texts), images


def image_label(image: dict[str, Any], number: int) -> str:
    """How an image is named on the page: its file name, its URL, or "image N"."""
    if image.get("name"):
        return image["name"]
    return f"image {number}" if is_data_url(image["url"]) else image["url"]


def uploaded(name: str, data: bytes) -> dict[str, Any]:
    """An uploaded picture as an image of a turn; ValueError says why it cannot be."""
    label = name[:MAX_NAME] or "image"
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"{label} is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB")
    mime = sniff(data)
    if mime is None:
        raise ValueError(f"{label} is not a PNG, JPEG, GIF or WebP image")
    return {"url": data_url(data, mime), "name": label}


def linked(url: str) -> dict[str, Any]:
    """An image given by its https URL (never fetched here); ValueError says why not."""
    url = url.strip()
    if is_data_url(url) or (found := url_problem(url)):
        raise ValueError("The image URL must be an https:// URL" if is_data_url(url) else found)
    return {"url": url, "name": ""}
