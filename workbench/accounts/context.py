"""What the navigation needs on every page to offer the account links."""

from django.conf import settings
from django.http import HttpRequest


def accounts(request: HttpRequest) -> dict[str, object]:
    """``signup_open`` hides "Sign up" when it is closed; ``login_next`` brings a person
    back to the page they logged in from (not to an account page)."""
    here = request.get_full_path()
    return {
        "signup_open": settings.WORKBENCH_SIGNUP == "open",
        "login_next": "" if request.path.startswith("/accounts/") else here,
    }
