"""Run Python snippets for the round-trip tests, each as its own __main__.

    python tests/snippet_runner.py SNIPPETS.json  ->  prints a JSON list of outputs

One interpreter runs a batch (importing openai once costs a second or more);
each snippet is compiled and executed from its own text, with fresh globals.
"""

import contextlib
import io
import json
import sys
import traceback
from pathlib import Path

outputs = []
for index, code in enumerate(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(code, f"<snippet {index}>", "exec"), {"__name__": "__main__"})
        except Exception:
            print("SNIPPET FAILED\n" + traceback.format_exc())
    outputs.append(out.getvalue())
print(json.dumps(outputs))
