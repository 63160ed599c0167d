"""Log in moves the browser's saved work to the account; log out starts a new browser.

After log out the browser gets a new id (``chat.current``), so the next
person at this computer does not see the signed-out person's draft.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from workbench.chat.current import new_browser
from workbench.library.models import Session


@receiver(user_logged_in)
def claim_browser_work(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "browser"):
        Session.claim(request.browser, user.pk)


@receiver(user_logged_out)
def forget_browser(sender: Any, request: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "browser"):
        new_browser(request)
