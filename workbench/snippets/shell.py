"""Commands typed at a shell: cURL and httpie.

Read as shell words by ``shell_words`` (the shell's quoting, nothing
expanded or run), then option by option. A body named by ``@file`` is
refused: Import reads the paste and nothing else.
"""

import re
from typing import Any

from workbench.snippets.pasted import (
    Pasted,
    UnreadableSnippet,
    body_of,
    holds_key,
    is_key,
    json_body,
    short_url,
)
from workbench.text import TextError, parse_json

# One piece of a POSIX shell word: whitespace between words, '...', "...", \x, or plain.
_SHELL_PIECE = re.compile(
    r"(?P<space>[ \t\r\n]+)"
    r"|'(?P<single>[^']*)'"
    r'|"(?P<double>[^"\\]*(?:\\.[^"\\]*)*)"'
    r"|\\(?P<escaped>.)"
    r"""|(?P<plain>[^ \t\r\n'"\\]+)""",
    re.S,
)
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\([\\"])')
# A line continued: "\" in POSIX shells, "^" in Windows' cmd (as copied from browsers' devtools).
_CONTINUATION = re.compile(r"[\\^]\r?\n")


def shell_words(text: str) -> list[str]:
    """The words of a shell command exactly as ``shlex.split`` reads them.

    shlex grows each word a character at a time, which takes seconds for a
    megabyte-long -d body; matching whole quoted strings at once does not.
    """
    words: list[str] = []
    word: list[str] | None = None  # None between words; [] is an empty word ('')
    pos = 0
    while pos < len(text):
        piece = _SHELL_PIECE.match(text, pos)
        if piece is None:
            raise ValueError(
                "No escaped character" if text[pos] == "\\" else "No closing quotation"
            )
        pos = piece.end()
        if piece["space"] is not None:
            if word is not None:
                words.append("".join(word))
            word = None
            continue
        word = word if word is not None else []
        if piece["double"] is not None:
            word.append(_DOUBLE_QUOTED_ESCAPE.sub(r"\1", piece["double"]))
        else:
            word.append(piece["single"] or piece["escaped"] or piece["plain"] or "")
    if word is not None:
        words.append("".join(word))
    return words


def command_words(text: str, what: str) -> list[str]:
    """The words of a command, its lines joined; ``what`` names it in a refusal."""
    try:
        return shell_words(_CONTINUATION.sub(" ", text))
    except ValueError as exc:
        raise UnreadableSnippet(f"The {what} could not be read as shell words: {exc}.") from None


# cURL: the options that hold the body, and the others that take a value (skipped with it).
CURL_DATA = {"-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--json"}
_CURL_VALUED = {
    *("-X", "--request", "-H", "--header", "--url", "-u", "--user", "-o", "--output"),
    *("-m", "--max-time", "--connect-timeout", "-A", "--user-agent", "-e", "--referer"),
    *("-b", "--cookie", "-c", "--cookie-jar", "-x", "--proxy", "-w", "--write-out"),
    *("--retry", "--cacert", "--cert", "--key", "-F", "--form", "--data-urlencode"),
    *("--oauth2-bearer", "-K", "--config", "--resolve", "--limit-rate", "-T", "--upload-file"),
}
_CURL_KEYS = {"-u", "--user", "--oauth2-bearer"}
_CURL_FILES = {"-F", "--form", "-T", "--upload-file", "-K", "--config", "--data-urlencode"}


def _curl_options(words: list[str]) -> list[tuple[str, str]]:
    """(option, value) pairs, ("", word) for a bare word; -XPOST and -sSX POST split apart."""
    pairs: list[tuple[str, str]] = []
    i = 1
    while i < len(words):
        word = words[i]
        i += 1
        if word.startswith("--") or not word.startswith("-") or word == "-":
            option, attached = (word, "") if word.startswith("--") else ("", word)
        else:  # short options, bundled: the first that takes a value takes the rest
            option, attached = word[:2], word[2:]
            while attached and option not in _CURL_VALUED and option not in CURL_DATA:
                option, attached = "-" + attached[0], attached[1:]
        if option in _CURL_VALUED or option in CURL_DATA:
            if not attached and i < len(words):
                attached, i = words[i], i + 1
            pairs.append((option, attached))
        else:
            pairs.append((option, attached if not option else ""))
    return pairs


def from_curl(text: str) -> Pasted:
    words = command_words(text, "cURL command")
    url, data, key = "", [], False
    for option, value in _curl_options(words):
        if option in ("", "--url") and not url:
            url = value
        elif option in ("-H", "--header"):
            name, _, content = value.partition(":")
            key = key or holds_key(name, content)
        elif option in _CURL_KEYS:
            key = key or is_key(value)
        elif option in _CURL_FILES:
            raise UnreadableSnippet(
                f"Found a cURL command{_to(url)}, but it sends a form or file ({option}), "
                "not a JSON body: paste the JSON with -d instead."
            )
        elif option in CURL_DATA:
            if value.startswith("@") and option != "--data-raw":
                raise UnreadableSnippet(
                    f"Found a cURL command{_to(url)} whose body is read from the file "
                    f"{value[:60]!r}. Import reads no files: paste the JSON itself after -d."
                )
            data.append(value)
    if not data:
        raise UnreadableSnippet(f"Found a cURL command{_to(url)}, but no body (-d or --json).")
    body = json_body("&".join(data), "cURL command's -d data")  # curl joins its -d with &
    return Pasted(body, "a cURL command", url, key)


def _to(url: str) -> str:
    return f" to {short_url(url)}" if url else ""


# httpie: the request items, by separator (the longest at the first place one appears).
_HTTPIE_SEPARATORS = re.compile(r"(?<!\\)(:=@|=@|==|:=|=|@|:)")
_HTTPIE_VALUED = {"-a", "--auth", "-A", "--auth-type", "-p", "--print", "--timeout", "--session"}
_HTTPIE_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
_HTTPIE_PATH = re.compile(r"\[([^\]]*)\]")


def from_httpie(text: str) -> Pasted:
    """``http POST url model=x messages:='[...]'``: fields, raw JSON fields and headers."""
    words = command_words(text, "httpie command")
    key, positional, i = False, [], 1
    while i < len(words):
        word = words[i]
        if word in _HTTPIE_VALUED:
            key = key or (word in ("-a", "--auth") and i + 1 < len(words))
            i += 2
            continue
        if not word.startswith("-"):
            positional.append(word)
        i += 1
    if positional and positional[0].upper() in _HTTPIE_METHODS:
        positional.pop(0)
    if not positional:
        raise UnreadableSnippet("Found an httpie command, but no URL.")
    url, items = _httpie_url(positional[0]), positional[1:]
    body: dict[str, Any] = {}
    for item in items:
        found = _HTTPIE_SEPARATORS.search(item)
        if found is None:
            raise UnreadableSnippet(
                f"Found an httpie command to {short_url(url)}, but "
                f"cannot read the item {item[:40]!r}."
            )
        name, separator, value = item[: found.start()], found.group(), item[found.end() :]
        if separator == ":":
            key = key or holds_key(name, value)
        elif "@" in separator:
            raise UnreadableSnippet(
                f"Found an httpie command to {short_url(url)} that reads {item[:60]!r} "
                "from a file. Import reads no files: paste the value itself."
            )
        elif separator == "=":
            _put(body, name, value)
        elif separator == ":=":
            try:
                _put(body, name, parse_json(value))
            except TextError as exc:
                raise UnreadableSnippet(f"The httpie field {name}:= {exc}.") from None
    if not body:
        raise UnreadableSnippet(
            f"Found an httpie command to {short_url(url)}, but no body fields "
            "(model=... messages:='[...]')."
        )
    return Pasted(body_of(body, "httpie body"), "an httpie command", url, key)


def _httpie_url(url: str) -> str:
    """httpie's shorthands: ``:8000/x`` is localhost, and a URL without a scheme is http."""
    if url.startswith(":"):
        return "http://localhost" + url
    return url if "://" in url else "http://" + url


def _put(body: dict[str, Any], name: str, value: Any) -> None:
    """Set ``a[b][0]`` (httpie's nested JSON syntax) or a plain ``name`` in ``body``."""
    head, _, rest = name.partition("[")
    path: list[str] = [head] + (_HTTPIE_PATH.findall("[" + rest) if rest else [])
    target: Any = body
    for step, following in zip(path, [*path[1:], None], strict=True):
        fresh = value if following is None else [] if _is_index(following) else {}
        if isinstance(target, list) and _is_index(step):
            index = len(target) if step == "" else int(step)
            if index == len(target):
                target.append(fresh)
            elif index > len(target):
                raise UnreadableSnippet(f"The httpie field {name} skips an index.")
            elif following is None:
                target[index] = value
            target = target[index]
        elif isinstance(target, dict):
            if following is None:
                target[step] = value
            target = target.setdefault(step, fresh)
        else:
            raise UnreadableSnippet(f"The httpie field {name} sets a value twice.")


def _is_index(step: str) -> bool:
    return step == "" or step.isdigit()
