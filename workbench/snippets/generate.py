"""Snippets that send one chat-completions body, byte for byte.

Each generator takes the provider (URL and key variable) and the body built by
``workbench.catalog.request.build_body``; none of them decides anything about
the request. Keys are never written in: snippets read the provider's
environment variable. With ``stream`` on, each snippet reads the server-sent
events and prints the text as it arrives.
"""

import json
import shlex
from typing import Any

from workbench.catalog.entries import Provider

# Fields the openai package takes as keyword arguments; any other field goes
# into extra_body so that the SDK sends it unchanged.
OPENAI_SDK_FIELDS = {
    "model",
    "messages",
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "stop",
    "seed",
    "stream",
    "stream_options",
    "n",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "response_format",
    "tools",
    "tool_choice",
    "user",
}


def json_text(body: dict[str, Any]) -> str:
    # Control characters are escaped by json; everything else stays readable.
    return json.dumps(body, indent=2, ensure_ascii=False)


def curl(provider: Provider, body: dict[str, Any]) -> str:
    # Everything from the catalog or the body is quoted; the key's variable
    # name must expand, and the catalog allows only names there.
    url = shlex.quote(provider.chat_completions_url)
    lines = [f"curl {'-N ' if body.get('stream') else ''}-X POST {url}"]
    lines.append('  -H "Content-Type: application/json"')
    if provider.api_key_env:
        lines.append(f'  -H "Authorization: Bearer ${provider.api_key_env}"')
    lines.append(f"  -d {shlex.quote(json_text(body))}")
    return " \\\n".join(lines) + "\n"


def py_literal(value: Any, indent: int = 0) -> str:
    """A Python expression for a JSON value: True/False/None, never true/false/null."""
    pad = "    " * (indent + 1)
    end = "    " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{py_literal(k)}: {py_literal(v, indent + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{end}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{pad}{py_literal(v, indent + 1)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{end}]"
    if isinstance(value, str | bool | int | float) or value is None:
        return repr(value)
    raise TypeError(f"not a JSON value: {value!r}")


def _py_headers(provider: Provider) -> str:
    lines = ['    "Content-Type": "application/json",']
    if provider.api_key_env:
        lines.insert(0, f'    "Authorization": "Bearer " + os.environ[{provider.api_key_env!r}],')
    return "headers = {\n" + "\n".join(lines) + "\n}"


_PY_STREAM = """\
response = requests.post(url, headers=headers, json=payload, stream=True)
response.raise_for_status()
for line in response.iter_lines(decode_unicode=True):
    if line.startswith("data: ") and line != "data: [DONE]":
        chunk = json.loads(line[len("data: "):])
        for choice in chunk["choices"]:
            print(choice["delta"].get("content") or "", end="", flush=True)
print()
"""
_PY_ONCE = """\
response = requests.post(url, headers=headers, json=payload)
response.raise_for_status()
print(response.json()["choices"][0]["message"]["content"])
"""


def python(provider: Provider, body: dict[str, Any]) -> str:
    stream = bool(body.get("stream"))
    imports = ("import json\n" if stream else "") + "import os\n\nimport requests\n"
    return (
        f"{imports}\nurl = {provider.chat_completions_url!r}\n{_py_headers(provider)}\n"
        f"payload = {py_literal(body)}\n\n" + (_PY_STREAM if stream else _PY_ONCE)
    )


def openai_sdk(provider: Provider, body: dict[str, Any]) -> str:
    args = {k: v for k, v in body.items() if k in OPENAI_SDK_FIELDS}
    extra = {k: v for k, v in body.items() if k not in OPENAI_SDK_FIELDS}
    call = "".join(f"    {k}={py_literal(v, 1)},\n" for k, v in args.items())
    if extra:
        call += f"    extra_body={py_literal(extra, 1)},\n"
    if provider.api_key_env:
        imports, key = "from openai import OpenAI", f"os.environ[{provider.api_key_env!r}]"
    else:
        # The SDK insists on a key; this provider takes none, so none is sent.
        imports, key = "from openai import OpenAI, omit", '"none"'
        call += '    extra_headers={"Authorization": omit},\n'
    if body.get("stream"):
        use = (
            "for chunk in completion:\n"
            "    for choice in chunk.choices:\n"
            '        print(choice.delta.content or "", end="", flush=True)\n'
            "print()\n"
        )
    else:
        use = "print(completion.choices[0].message.content)\n"
    return (
        f"import os\n\n{imports}\n\n"
        f"client = OpenAI(\n    base_url={provider.base_url!r},\n    api_key={key},\n)\n"
        f"completion = client.chat.completions.create(\n{call})\n{use}"
    )


_JS_STREAM = """\
const reader = response.body.getReader();
const decoder = new TextDecoder();
let buffer = "";
for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  buffer += decoder.decode(value, { stream: true });
  const lines = buffer.split("\\n");
  buffer = lines.pop();
  for (const line of lines) {
    if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
    for (const choice of JSON.parse(line.slice(6)).choices) {
      process.stdout.write(choice.delta.content ?? "");
    }
  }
}
process.stdout.write("\\n");
"""
_JS_ONCE = """\
const data = await response.json();
console.log(data.choices[0].message.content);
"""


def js_template(text: str) -> str:
    """A JS template literal holding ``text`` exactly (backslashes, backticks, ${ escaped)."""
    return "`" + text.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${") + "`"


def javascript(provider: Provider, body: dict[str, Any]) -> str:
    headers = ['  "Content-Type": "application/json",']
    if provider.api_key_env:
        headers.insert(0, f"  Authorization: `Bearer ${{process.env.{provider.api_key_env}}}`,")
    # The body stays JSON text: JSON.parse would round integers above 2**53 (a seed).
    return (
        f"const url = {json.dumps(provider.chat_completions_url)};\n"
        "const headers = {\n" + "\n".join(headers) + "\n};\n"
        f"const body = {js_template(json_text(body))};\n\n"
        "const response = await fetch(url, {\n"
        '  method: "POST",\n  headers,\n  body,\n});\n'
        "if (!response.ok) {\n"
        "  throw new Error(`${response.status} ${await response.text()}`);\n}\n"
        + (_JS_STREAM if body.get("stream") else _JS_ONCE)
    )


LANGUAGES = {
    "curl": ("cURL", "bash", curl),
    "python": ("Python", "python", python),
    "openai": ("OpenAI SDK", "python", openai_sdk),
    "javascript": ("JavaScript", "javascript", javascript),
}
