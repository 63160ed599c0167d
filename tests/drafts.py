"""Reading and writing the draft of a test client's browser."""

from workbench.chat import current
from workbench.chat.conversation import Column, Message
from workbench.chat.models import Draft


def stored(client) -> Draft:
    """The draft of the browser ``client`` is (it must have written something)."""
    return Draft.objects.get(browser=client.cookies[current.COOKIE].value)


def put_messages(client, *messages: Message, model: str = "fake-chat") -> Draft:
    """Give the client's browser a draft holding ``messages``."""
    if current.COOKIE not in client.cookies:
        client.get("/")
    browser = client.cookies[current.COOKIE].value
    draft = Draft.objects.filter(browser=browser).first() or Draft.new(browser, model)
    column = Column.from_json(draft.columns[0])
    column.messages = list(messages)
    draft.columns = [column.as_json()]
    draft.save()
    return draft
