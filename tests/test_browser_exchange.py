"""Export and import in a real browser: the Library's form uploads, Export downloads,
a refusal is announced beside the form, and the page passes axe throughout."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_none, violations

pytestmark = pytest.mark.browser


def import_file(page: Page, path: Path | str) -> None:
    page.get_by_label("Import a session file").set_input_files(str(path))
    page.get_by_role("button", name="Import", exact=True).click()


def test_import_a_body_export_it_and_import_the_file_again(audited_page: Page, tmp_path):
    page = audited_page
    page.goto("/library")
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": "Capital of Italy?"}]}
    (tmp_path / "prompt.json").write_text(json.dumps(body))
    import_file(page, tmp_path / "prompt.json")
    notices = page.locator(".notices")
    expect(notices).to_contain_text("Imported “Capital of Italy?” from an OpenAI request body")
    found = {"imported": violations(page)}

    with page.expect_download() as info:
        page.get_by_role("link", name="Export Capital of Italy?").first.click()
    download = info.value
    assert download.suggested_filename == "capital-of-italy.json"
    exported = json.loads(Path(download.path()).read_text())
    assert (
        exported["format"] == "workbench.session/1" and exported["pending"] == "Capital of Italy?"
    )

    (tmp_path / "newer.json").write_text(json.dumps({**exported, "format": "workbench.session/2"}))
    import_file(page, tmp_path / "newer.json")
    expect(page.get_by_role("alert")).to_contain_text(
        "made by a newer Workbench: format workbench.session/2; this one reads workbench.session/1"
    )
    expect(page.get_by_label("Import a session file")).to_have_attribute("aria-invalid", "true")
    found["refused"] = violations(page)

    import_file(page, download.path())
    expect(notices).to_contain_text("Imported “Capital of Italy?” from a Workbench session file")
    expect(page.get_by_role("link", name="Export Capital of Italy?")).to_have_count(2)
    assert_none(found)
