"""The corpus of pasted requests (tests/data/pasted_requests.toml): each imports exactly.

Exactly means the body Run then sends is the body pasted: the model (or,
for one the catalog lacks, the stand-in Import chose and asks about), every
message with its role, the system prompt with its role, every parameter.
"""

import json
import tomllib
from pathlib import Path

import pytest

from tests.drafts import stored

CORPUS = tomllib.loads((Path(__file__).parent / "data" / "pasted_requests.toml").read_text())
PASTES = CORPUS["paste"]


def test_the_corpus_follows_enough_sources():
    hosts = {p["source"].split("/")[2] for p in PASTES}
    assert len(PASTES) >= 40 and len(hosts) >= 5


@pytest.mark.django_db
@pytest.mark.parametrize("paste", PASTES, ids=[p["name"] for p in PASTES])
def test_each_paste_loads_what_it_sends(client, paste):
    client.get("/")
    r = client.post("/workbench/import", {"import_text": paste["text"]})
    assert r.status_code == 204, r.content.decode()
    expected = json.loads(paste["expect"])
    if "stand_in" in paste:
        expected["model"] = paste["stand_in"]
        for name in paste.get("left_out", []):
            del expected[name]
    draft = stored(client)
    sent = draft.request_body()
    sent.pop("stream_options", None)
    assert sent == expected
    first = expected["messages"][0]
    column = draft.column()
    if first["role"] in ("system", "developer"):
        assert (column.system_prompt, column.system_role) == (first["content"], first["role"])
    page = client.get("/workbench").content.decode()
    assert "Loaded " in page
    assert ("An API key in the paste was ignored" in page) == paste.get("key_ignored", False)
    assert ("is not in the catalog" in page or "No model is named" in page) == ("stand_in" in paste)
