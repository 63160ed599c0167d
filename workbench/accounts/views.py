"""Sign-up, log-out and password change, over Django's auth forms.

Log-in is Django's LoginView (urls.py); django-axes stands in front of it
(settings, "Login rate-limiting"). Every log-in, sign-up's included, goes
through ``django.contrib.auth.login``, so ``user_logged_in`` fires and what an
anonymous browser saved can follow the person into the account.
"""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from workbench.accounts.forms import ChangePasswordForm, SignupForm

# A new account has no backend of its own yet (it never authenticated): the one that reads it.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def next_url(request: HttpRequest) -> str:
    """Where to go after signing up: ``next`` if it stays on this site, else the workbench."""
    asked = request.POST.get("next") or request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        asked, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return asked if safe else resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """A new account, logged in at once. Closed sign-up answers 403 with a page that says
    so: a person who followed an old link learns why, instead of a bare "not found"."""
    if settings.WORKBENCH_SIGNUP != "open":
        return render(request, "accounts/signup_closed.html", status=403)
    form = SignupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.save()
        auth.login(request, user, backend=MODEL_BACKEND)
        return redirect(next_url(request))
    return render(request, "accounts/signup.html", {"form": form, "next": next_url(request)})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """POST only, with the CSRF token: a link or an image on another page cannot log anyone out."""
    auth.logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """The old password, then the new one twice; this browser stays logged in, others
    with the old password's session are logged out (the session hash changes)."""
    form = ChangePasswordForm(request.user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        form.save()
        auth.update_session_auth_hash(request, form.user)
        return redirect("password_change_done")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
@require_GET
def password_change_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_change_done.html")
