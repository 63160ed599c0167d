"""Images: checked by their bytes, attached over HTTP, sent as content parts by the
one request builder, shown, kept by sessions and their files, read back by Import."""

import base64
import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.drafts import put_messages, stored
from tests.relay_helpers import connect, next_frame, reload, run_frame, until_finished
from workbench.catalog import images
from workbench.catalog.registry import get_catalog
from workbench.catalog.request import RequestError
from workbench.chat import current
from workbench.chat.conversation import Column, message
from workbench.chat.models import Draft
from workbench.library import exchange
from workbench.library.models import Session
from workbench.snippets.importing import parse_pasted
from workbench.snippets.render import render_snippets

# The smallest PNG: one transparent pixel.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()
HTTPS = "https://example.org/cat.jpg?size=large&x=1"
PARTS = [
    {"type": "text", "text": "What is in these?"},
    {"type": "image_url", "image_url": {"url": PNG_URL}},
    {"type": "image_url", "image_url": {"url": HTTPS, "detail": "low"}},
]


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0" + bytes(20), "image/jpeg"),
        (b"GIF89a" + bytes(20), "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"%PDF-1.7", None),
    ],
)
def test_a_picture_is_known_by_its_bytes(data, mime):
    assert images.sniff(data) == mime


def test_an_upload_is_refused_when_too_large_or_not_a_picture():
    assert images.uploaded("a.png", PNG) == {"url": PNG_URL, "name": "a.png"}
    with pytest.raises(ValueError, match="not a PNG"):
        images.uploaded("cat.png", b"MZ\x90\x00 an executable named like a picture")
    with pytest.raises(ValueError, match="larger than 5 MiB"):
        images.uploaded("big.png", PNG + bytes(images.MAX_IMAGE_BYTES))


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (PNG_URL, None),
        (HTTPS, None),
        ("http://example.org/a.png", "https://"),
        ("javascript:alert(1)", "https://"),
        ("https://exa mple.org/a.png", "https://"),
        ("data:image/svg+xml;base64,PHN2Zz4=", "data URL of a PNG"),
        ("data:image/png;base64,R0lGODlhAQABAAAAACw=", "does not hold the image/png"),
        ("data:image/png;base64," + "A" * images.MAX_DATA_URL, "MiB"),
    ],
)
def test_an_image_url_is_https_or_a_data_url_of_a_picture(url, said):
    found = images.url_problem(url)
    assert found is None if said is None else said in found


def test_the_request_builder_sends_images_as_content_parts_and_import_reads_them_back():
    turn = message("user", "What is in these?", images=[{"url": PNG_URL, "name": "a.png"}])
    column = Column("fake-chat", messages=[turn])
    body = column.request_body("and this?", [{"id": "x1", "url": HTTPS, "name": ""}])
    linked = {"type": "image_url", "image_url": {"url": HTTPS}}
    assert body["messages"] == [
        {"role": "user", "content": PARTS[:2]},
        {"role": "user", "content": [{"type": "text", "text": "and this?"}, linked]},
    ]
    imported, pending = Column.from_body(body)
    # The last user turn has images: it stays a turn (Run sends it with the box empty).
    assert pending == "" and imported.request_body() == body
    assert imported.messages[0]["images"] == [{"url": PNG_URL, "name": ""}]


def test_a_body_with_images_is_imported_from_every_snippet_language():
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": PARTS}]}
    for snippet in render_snippets(get_catalog().provider_of(get_catalog().get("fake-chat")), body):
        imported, pending = Column.from_body(parse_pasted(snippet["code"]).body)
        assert imported.request_body(pending) == body, snippet["id"]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ([{"type": "audio", "input_audio": {}}], "neither {type: text, text}"),
        ([{"type": "image_url", "image_url": {"url": "http://x"}}], "https://"),
        ([{"type": "image_url", "image_url": {"url": PNG_URL}}] * 5, "1 to 4 images"),
    ],
)
def test_import_refuses_parts_it_cannot_keep(content, said):
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": content}]}
    with pytest.raises(RequestError) as refused:
        Column.from_body(body)
    assert said in str(refused.value)


def test_a_model_without_image_input_is_not_sent_images():
    column = Column("6xyzj")
    with pytest.raises(RequestError) as refused:
        column.request_body("look", [{"url": HTTPS, "name": ""}])
    assert "does not take images" in refused.value.errors["images"]
    assert images.takes_images(get_catalog().get("gpt-4.1"))


def test_only_a_user_turn_has_images():
    turn = message("assistant", "x", images=[{"url": HTTPS, "name": ""}])
    with pytest.raises(RequestError, match="only a user turn"):
        Column("fake-chat", messages=[turn]).request_body()


def test_the_api_tab_folds_a_long_data_url_but_copy_takes_it_whole():
    big = images.data_url(PNG + bytes(3000), "image/png")
    body = Column("fake-chat").request_body("see", [{"url": big, "name": "a.png"}])
    for snippet in render_snippets(get_catalog().provider_of(get_catalog().get("fake-chat")), body):
        assert big in snippet["code"] and snippet["folded"]
        assert big not in snippet["html"] and "more)" in snippet["html"]


def client_of(draft: Draft):
    from django.test import Client

    client = Client()
    client.cookies[current.COOKIE] = draft.browser
    return client


def browser_of(client) -> str:
    """The client's browser, with a draft of a model that takes images."""
    return put_messages(client, model="fake-chat").browser


@pytest.mark.django_db
def test_attach_upload_and_url_then_remove(client):
    browser = browser_of(client)
    upload = SimpleUploadedFile("pixel.png", PNG, content_type="text/plain")  # the name lies
    page = client.post("/workbench/images", {"image": upload}).content.decode()
    assert f'<img src="{PNG_URL}" alt="pixel.png">' in page
    assert 'aria-label="Remove image pixel.png"' in page and 'id="api"' in page  # API tab stale
    page = client.post("/workbench/images", {"image_url": HTTPS}).content.decode()
    assert "<code>https://example.org/cat.jpg?size=large&amp;x=1</code>" in page
    assert '<img src="https://' not in page  # never fetched by the page
    draft = Draft.objects.get(browser=browser)
    assert [i["url"] for i in draft.pending_images] == [PNG_URL, HTTPS]
    assert draft.request_body()["messages"][-1]["content"] == [
        {"type": "image_url", "image_url": {"url": PNG_URL}},
        {"type": "image_url", "image_url": {"url": HTTPS}},
    ]
    page = client.get("/").content.decode()  # a reload keeps them
    assert 'alt="pixel.png"' in page and 'aria-label="Remove image https://example.org' in page
    client.post(f"/workbench/images/{draft.pending_images[0]['id']}/remove")
    assert [i["url"] for i in Draft.objects.get(browser=browser).pending_images] == [HTTPS]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"image": SimpleUploadedFile("x.svg", b"<svg/>")}, "x.svg is not a PNG"),
        ({"image_url": "http://example.org/a.png"}, "https://"),
        ({"image_url": PNG_URL}, "must be an https:// URL"),
        ({}, "Choose an image file"),
    ],
)
def test_attach_refuses_saying_why(client, data, said):
    browser = browser_of(client)
    page = client.post("/workbench/images", data).content.decode()
    assert "Not attached:" in page and said in page
    assert not Draft.of(browser).pending_images


@pytest.mark.django_db
def test_attach_holds_a_handful_and_needs_csrf(client):
    browser = browser_of(client)
    urls = {"image_url": HTTPS}
    for _ in range(images.MAX_IMAGES):
        client.post("/workbench/images", urls)
    assert "at most 4 images" in client.post("/workbench/images", urls).content.decode()
    assert len(Draft.of(browser).pending_images) == images.MAX_IMAGES
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.cookies[current.COOKIE] = browser
    assert strict.post("/workbench/images", urls).status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_run_sends_the_attached_images_in_every_column_and_keeps_them(fake):
    from asgiref.sync import sync_to_async

    def create() -> Draft:
        draft = Draft.new(secrets.token_urlsafe(24), "fake-chat")
        draft.columns = [Column("fake-chat").as_json(), Column("fake-chat").as_json()]
        draft.pending_images = [{"id": "i1", "url": PNG_URL, "name": "a.png"}]
        draft.save()
        return draft

    draft = await sync_to_async(create)()
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("What is in these?"))
    started = await next_frame(comm)
    # The picture stays out of the frame: the turn fetches itself over HTTP.
    assert PNG_URL not in started and "1 image: loading" in started
    assert started.count('hx-trigger="load" hx-swap="outerHTML"') == 2  # one per column
    await until_finished(comm)
    sent = [r["body"]["messages"] for r in fake.requests()[-2:]]
    assert sent == [[{"role": "user", "content": PARTS[:2]}]] * 2
    after = await reload(draft)
    assert after.pending_images == [] and after.pending == ""
    turn = after.column(1).messages[0]
    assert turn["images"] == [{"url": PNG_URL, "name": "a.png"}]
    await comm.disconnect()
    shown = await sync_to_async(client_of(draft).get)(f"/workbench/messages/{turn['id']}")
    assert f'<img src="{PNG_URL}" alt="a.png">' in shown.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_run_refuses_images_for_a_model_without_image_input(fake):
    from asgiref.sync import sync_to_async

    def create() -> Draft:
        draft = Draft.new(secrets.token_urlsafe(24), "6xyzj")
        draft.pending_images = [{"id": "i1", "url": HTTPS, "name": ""}]
        draft.save()
        return draft

    draft = await sync_to_async(create)()
    before = len(fake.requests())
    comm = await connect(draft)
    await comm.send_to(text_data=run_frame("What is it?", model="6xyzj"))
    refused = await next_frame(comm)
    assert "Nothing was sent" in refused and "does not take images" in refused
    assert len(fake.requests()) == before
    assert (await reload(draft)).pending_images == draft.pending_images
    await comm.disconnect()


@pytest.mark.django_db
def test_a_session_file_keeps_images_and_checks_them():
    turn = message(
        "user", "see", images=[{"url": PNG_URL, "name": "a.png"}, {"url": HTTPS, "name": ""}]
    )
    column = Column("fake-chat", messages=[turn])
    session = Session.objects.create(title="t", browser="b", columns=[column.as_json()])
    text = exchange.export_text(session)
    read = exchange.read_file(text.encode())
    assert read.sessions[0].columns[0]["messages"][0]["images"] == turn["images"]
    with pytest.raises(exchange.RefusedFile, match="images"):
        exchange.read_file(text.replace(HTTPS, "http://example.org/a").encode())


@pytest.mark.django_db
def test_a_turn_edited_into_an_answer_drops_its_images(client):
    turn = message("user", "see", images=[{"url": HTTPS, "name": ""}])
    put_messages(client, turn)
    client.post(f"/workbench/messages/{turn['id']}", {"role": "user", "content": "look"})
    assert stored(client).column().messages[0]["images"]
    client.post(f"/workbench/messages/{turn['id']}", {"role": "assistant", "content": "look"})
    assert "images" not in stored(client).column().messages[0]


@pytest.mark.django_db
def test_import_asks_before_it_replaces_attached_images(client):
    browser = browser_of(client)
    client.post("/workbench/images", {"image_url": HTTPS})
    body = '{"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}'
    page = client.post("/workbench/import", {"import_text": body}).content.decode()
    assert "Import replaces what is on the workbench: 1 attached image." in page
    assert len(Draft.of(browser).pending_images) == 1


@pytest.mark.django_db
def test_a_saved_session_shows_its_images_read_only():
    from django.test import Client

    from tests.library_helpers import saved_session

    client = Client()
    session = saved_session(client)
    turn = message(
        "user", "see", images=[{"url": PNG_URL, "name": "a.png"}, {"url": HTTPS, "name": ""}]
    )
    columns = [{**session.columns[0], "messages": [turn]}]
    Session.objects.filter(pk=session.pk).update(columns=columns)
    page = client.get(f"/library/{session.pk}").content.decode()
    assert f'<img src="{PNG_URL}" alt="a.png">' in page
    assert "<code>https://example.org/cat.jpg?size=large&amp;x=1</code>" in page
    assert "Remove image" not in page
