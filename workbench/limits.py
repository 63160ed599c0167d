"""How much text the workbench takes and sends at once: one home, in the units
that are really limited (characters for what people type, bytes for frames).

Kept free of Django so that the web server's launcher can read it too.
"""

MAX_TEXT = 200_000  # characters in one prompt or message
# A websocket frame in: the panel's form as JSON. Its two texts, every
# character JSON-escaped at 6 bytes ("\u0000"), must fit with room to spare;
# daphne is started with this as its websocket message limit.
MAX_FRAME_BYTES = 4 * 1024 * 1024
# A form post (autosave, Import): the longest texts above, percent-encoded at up
# to 12 bytes a character, with room to spare; Django's own default is 2.5 MB.
MAX_FORM_BYTES = 10 * 1024 * 1024
OUT_CHUNK = 100_000  # characters of answer text in one frame out (6 bytes each escaped, at most)
MARKDOWN_LIMIT = 64_000  # characters of an answer rendered as Markdown; longer ones as plain text
# A session file (Library → Import): a long conversation with its runs, each
# run's body repeating the conversation so far; read whole into memory.
MAX_IMPORT_BYTES = 10 * 1024 * 1024
# Token probabilities kept with an answer: enough to read it by, bounded so that a
# long answer does not make its draft (saved on every change) megabytes long.
LOGPROB_TOKENS = 4096
LOGPROB_ALTERNATIVES = 5
# Tool calls kept with an answer, and the characters of all their arguments: an
# upstream that streams calls without end cannot grow a draft without end, and
# the block of calls, sent whole while they stream, stays one frame (6 bytes a
# character escaped, far under a MiB).
TOOL_CALLS = 128
TOOL_ARGUMENTS = 50_000
