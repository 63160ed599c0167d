import html as htmlmod
import re

import pytest

pytestmark = pytest.mark.django_db


def metrics(html: str) -> dict[str, str]:
    table = html.split('aria-label="Metrics"')[1].split("</table>")[0]
    rows = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table)
    return dict(rows)


def test_gpt41_page_shows_what_the_oxen_page_shows(client):
    r = client.get("/models/gpt-4-1-2025-04-14")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>GPT 4.1</h1>" in html
    assert "Coding and chat, 1M-token context" in html
    assert 'href="/workbench?model=gpt-4-1-2025-04-14">Try in the Workbench' in html
    assert metrics(html) == {
        "Parameter Count": "Unknown",
        "Mixture of Experts": "No",
        "Context Length": "1,000,000 tokens",
        "Max Output Tokens": "32,768 tokens",
        "Multilingual": "Yes",
        "Quantized*": "Unknown",
        "Released": "2025-04-14",
    }
    assert "Quantization is specific to the inference provider" in html


def test_parameter_tables_come_from_the_schema(client):
    html = client.get("/models/smollm2-135m-instruct").content.decode()
    required = html.split('aria-label="Required parameters"')[1].split("</table>")[0]
    optional = html.split('aria-label="Optional parameters"')[1].split("</table>")[0]
    assert "<code>model</code>" in required and "<code>messages</code>" in required
    assert "<code>temperature</code>" not in required
    for name in ("temperature", "top_k", "min_p", "repeat_penalty", "stop", "seed", "stream"):
        assert f"<code>{name}</code>" in optional
    assert "<td>array of string</td>" in optional
    assert "<td>0.8</td>" in optional  # llama.cpp's temperature default


def test_example_tabs_in_curl_and_python(client):
    html = client.get("/models/gpt-4-1-2025-04-14").content.decode()
    for label in ("Minimal", "Basic parameters", "All parameters"):
        assert f">{label}</button>" in html
    panels = re.findall(r'<section role="tabpanel".*?</section>', html, re.S)
    assert len(panels) == 3
    for panel in panels:
        text = htmlmod.unescape(re.sub(r"<[^>]+>", "", panel))
        assert "curl -X POST https://hub.oxen.ai/api/ai/chat/completions" in text
        assert "import requests" in text
        assert "false" not in text.split("payload =")[1]
    assert "'stream': False" in htmlmod.unescape(re.sub(r"<[^>]+>", "", panels[2]))


def test_unknown_model_is_404(client):
    assert client.get("/models/no-such-model").status_code == 404


def test_model_with_unknown_facts_says_unknown(client):
    html = client.get("/models/fake-chat").content.decode()
    facts = metrics(html)
    assert facts["Parameter Count"] == "Unknown" and facts["Context Length"] == "4,096 tokens"
