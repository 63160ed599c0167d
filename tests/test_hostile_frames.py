"""Hostile websocket frames: each is refused with a notice, the socket stays
usable, the draft is as it was and its page still renders.

The page only ever sends htmx's ws-send frames (a JSON object of strings),
but anything can open the socket: a script, an extension, an old tab.
"""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.relay_helpers import (
    connect,
    page_status,
    refused,
    reload,
    reply_to,
    run_frame,
    run_id_of,
    start_draft,
    state_of,
    still_usable,
    turns,
)
from workbench.limits import MAX_FRAME_BYTES as MAX_FRAME
from workbench.relay.frames import STARTED

pytestmark = pytest.mark.django_db(transaction=True)
PENDING = "Hello"  # in the draft's Message box, and in every run frame here


def run_with(**fields: Any) -> str:
    """A Run frame as the page sends it, with ``fields`` replaced (None: left out)."""
    frame = json.loads(run_frame(PENDING))
    frame.update(fields)
    return json.dumps({k: v for k, v in frame.items() if v is not None})


def deep(depth: int, opening: str = "[", closing: str = "]") -> str:
    return opening * depth + "1" + closing * depth


CJK_OVER_THE_LIMIT = json.dumps(
    {"type": "run", "note": "中" * (MAX_FRAME // 3 + 10)}, ensure_ascii=False
)
assert len(CJK_OVER_THE_LIMIT) < MAX_FRAME < len(CJK_OVER_THE_LIMIT.encode())

# (frame, a word the notice must hold): refused before the draft is touched.
TEXT_FRAMES = [
    pytest.param("", "JSON", id="empty"),
    pytest.param(deep(100_000), "", id="100k-brackets"),
    pytest.param(deep(50_000, '{"a":', "}"), "", id="50k-objects"),
    pytest.param(run_with(message=json.loads(deep(5_000))), "", id="deep-message"),
    pytest.param('{"type": "run", "param-temperature": 1e999}', "", id="1e999"),
    pytest.param('{"type": "run", "param-temperature": NaN}', "", id="NaN"),
    pytest.param('{"type": "stop", "run": ' + "9" * 4_000 + "}", "", id="4000-digit-run"),
    pytest.param(CJK_OVER_THE_LIMIT, "longer than the limit", id="cjk-over-the-limit-in-bytes"),
    pytest.param("x" * (MAX_FRAME + 1), "longer than the limit", id="over-the-limit-in-chars"),
    pytest.param('{"type": "run", "type": "dance"}', "dance", id="repeated-type"),
    pytest.param('{"type": "\\ud83d"}', "", id="lone-surrogate-type"),
    pytest.param('{"\\ud83d": 1, "type": "stop", "run": "x"}', "", id="lone-surrogate-key"),
    pytest.param('{"type": "stop", "run": "\\udc80"}', "", id="lone-surrogate-run"),
    *(
        pytest.param(json.dumps({"type": kind}), "type", id=f"type-{kind!r}")
        for kind in [None, 1, 1.5, True, [], {}, ["run"], {"run": 1}, "RUN", "run ", "x" * 10_000]
    ),
    *(
        pytest.param(json.dumps({"type": kind, "run": run}), "", id=f"{kind}-run-{run!r}"[:60])
        for kind in ("stop", "attach")
        for run in [None, 1, [], {}, ["a"], "", "x" * 100_000, "../../etc"]
    ),
]


@pytest.fixture
async def draft():
    return await start_draft(pending=PENDING)


@pytest.fixture
async def comm(draft):
    comm = await connect(draft)
    yield comm
    await comm.disconnect()


async def assert_refused_and_unchanged(draft, comm, text_data=None, bytes_data=None) -> str:
    before = await state_of(draft)
    notice = await refused(comm, text_data, bytes_data)
    assert await state_of(draft) == before
    assert await page_status(draft) == 200
    return notice


@pytest.mark.parametrize(("frame", "reason"), TEXT_FRAMES)
async def test_hostile_frame_is_refused_and_changes_nothing(fake, draft, comm, frame, reason):
    notice = await assert_refused_and_unchanged(draft, comm, frame)
    assert reason.lower() in notice.lower()
    await still_usable(comm, PENDING)


# Run frames with one hostile value: refused, with the draft (panel, box and
# conversation) exactly as it was. The frame's other values equal the draft's.
HOSTILE_VALUES = [
    pytest.param({"message": "\ud83d"}, "surrogate", id="surrogate-message"),
    pytest.param({"message": "ok \udc80 ok"}, "surrogate", id="low-surrogate-message"),
    pytest.param({"system_prompt": "\ud83d"}, "surrogate", id="surrogate-system-prompt"),
    pytest.param({"param-stop": "END\ud83d"}, "surrogate", id="surrogate-param"),
    pytest.param({"param-\ud83d": "1"}, "surrogate", id="surrogate-key"),
    pytest.param({"model": "\ud83d"}, "", id="surrogate-model"),
    pytest.param({"message": "x" * 200_001}, "200", id="200001-message"),
    pytest.param({"system_prompt": "x" * 900_000}, "200", id="900k-system-prompt"),
    pytest.param({"model": ["fake-chat", "nope"]}, "", id="model-list"),
    pytest.param({"model": {"id": "fake-chat"}}, "", id="model-object"),
    pytest.param({"model": None, "message": None}, "", id="fields-missing"),
    pytest.param({"param-max_tokens": "9" * 5_000}, "", id="5000-digit-max-tokens"),
    pytest.param({"param-temperature": [0.1, "x"]}, "", id="temperature-list"),
    pytest.param({"param-seed": -(10**30)}, "", id="huge-negative-seed"),
    pytest.param({"revision": "9" * 5_000}, "", id="5000-digit-revision"),
    pytest.param({"revision": -1}, "", id="negative-revision"),
]


@pytest.mark.parametrize(("fields", "reason"), HOSTILE_VALUES)
async def test_run_frame_with_a_hostile_value_is_refused(fake, draft, comm, fields, reason):
    notice = await assert_refused_and_unchanged(draft, comm, run_with(**fields))
    assert reason in notice.lower()
    assert fake.requests() == []
    await still_usable(comm, PENDING)


@pytest.mark.parametrize("data", [b"", b"\x00\x01", run_frame().encode()], ids=repr)
async def test_binary_frames_are_refused(fake, draft, comm, data):
    assert "Binary" in await assert_refused_and_unchanged(draft, comm, bytes_data=data)
    await still_usable(comm, PENDING)


async def test_another_browsers_finished_run_is_neither_shown_nor_stopped(fake):
    fake.configure(content="a private answer")
    owner_draft = await start_draft()
    owner = await connect(owner_draft)
    run_id = run_id_of((await reply_to(owner, run_frame("secret question")))[0])
    stranger_draft = await start_draft(pending=PENDING)
    stranger = await connect(stranger_draft)
    for kind in ("attach", "stop", "run"):
        frame = json.dumps({"type": kind, "run": run_id})
        notice = await assert_refused_and_unchanged(stranger_draft, stranger, frame)
        assert "private" not in notice
    assert [m["content"] for m in turns(await reload(owner_draft))] == [
        "secret question",
        "a private answer",
    ]
    await still_usable(stranger, PENDING)
    await owner.disconnect()
    await stranger.disconnect()


# Property: any JSON value, any text. What must hold is weaker than above (a
# frame may be a valid Run): a notice or a finished run, never a crash; if
# refused, the conversation is as it was; the page always renders.

SURROGATES = st.sampled_from(["\ud83d", "\ude00", "\udc80\ud800", "ok\ud83d"])
strings = st.one_of(
    st.text(max_size=20),
    SURROGATES,
    st.sampled_from(["run", "regenerate", "stop", "attach", "fake-chat", "", "\x00", "1e999"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities: json.dumps writes NaN, Infinity
    strings,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(strings, inner, max_size=4)
    ),
    max_leaves=10,
)
FIELDS = ["run", "message", "system_prompt", "revision", "HEADERS", "param-temperature"]
FIELDS += ["param-stop", "param-max_tokens", "param-stream", "param-seed", "param-\ud83d"]
frames_like = st.fixed_dictionaries(
    {
        "type": st.one_of(st.sampled_from(["run", "regenerate", "stop", "attach"]), json_values),
        "model": st.one_of(st.just("fake-chat"), SURROGATES, json_values),
    },
    optional={name: st.one_of(SURROGATES, strings, json_values) for name in FIELDS},
)
frame_texts = st.one_of(
    json_values.map(json.dumps),
    frames_like.map(json.dumps),
    frames_like.map(lambda f: json.dumps(f, ensure_ascii=False)),
    st.text(max_size=50),
)
# No shrinking: a crashed consumer shows only when a receive times out, so
# each failing example costs seconds; the first one found is reported as is.
PROPERTY = settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(text=frame_texts)
async def test_any_frame_gets_a_notice_or_a_finished_run(fake, text):
    draft = await start_draft(pending=PENDING)
    comm = await connect(draft)
    try:
        before = await state_of(draft)
        seen = await reply_to(comm, text, timeout=2)
        after = await state_of(draft)
        if not STARTED.search(seen[0]):
            assert after["columns"][0]["messages"] == before["columns"][0]["messages"]
            assert after["runs"] == before["runs"]
        assert await page_status(draft) == 200
    finally:
        await comm.disconnect()


async def test_the_socket_outlives_a_burst_of_hostile_frames(fake, draft, comm):
    for param in TEXT_FRAMES:
        await refused(comm, param.values[0])
    await still_usable(comm, PENDING)
