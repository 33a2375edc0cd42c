"""Sign-in throttling with Django's own parts (its cache and authentication forms): after
FACEREPLACE_LOGIN_FAILURES failed sign-ins for one user name from one address, or four times as many from one
address for any names, sign-ins from there are refused for FACEREPLACE_LOGIN_LOCKOUT_SECONDS, whatever the
password, and the form says so. Both sign-in pages use it (the site's and the admin's).

The counts live in the default cache: in-process for the embedded default (one ASGI process), Redis when
REDIS_URL is set (several processes share them)."""
from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpResponse

THROTTLED = "throttled"
ADDRESS_FACTOR = 4  # one address may fail this many times the per-name limit over all names


def _address(request: Any) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def _counters(request: Any, username: str) -> list[tuple[str, int]]:
    """(cache key, limit) of the failure counts a sign-in of `username` from the request's address adds to."""
    limit = int(settings.FACEREPLACE_LOGIN_FAILURES)
    address = _address(request)
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [(f"login-failures:{address}:{name}", limit), (f"login-failures:{address}", limit * ADDRESS_FACTOR)]


class ThrottledLogin(forms.Form):
    """Mixed into an AuthenticationForm: refuses a throttled sign-in before checking the password, counts
    each failure, and forgets the name's count once it signs in."""

    def clean(self) -> dict[str, Any]:
        counters = _counters(self.request, self.cleaned_data.get("username") or "")
        if any((cache.get(key) or 0) >= limit for key, limit in counters):
            minutes = max(1, int(settings.FACEREPLACE_LOGIN_LOCKOUT_SECONDS) // 60)
            raise forms.ValidationError(f"Too many failed sign-ins from your address; sign-ins are refused for up to "
                                        f"{minutes} minutes. Ask an administrator if you forgot your password.",
                                        code=THROTTLED)
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            for key, _ in counters:  # each count lives LOCKOUT seconds from its first failure
                if not cache.add(key, 1, timeout=int(settings.FACEREPLACE_LOGIN_LOCKOUT_SECONDS)):
                    cache.incr(key)
            raise
        cache.delete(counters[0][0])
        return cleaned


class LoginForm(ThrottledLogin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    """The site's sign-in page; a throttled sign-in answers 429 with Retry-After."""

    authentication_form = LoginForm

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("__all__", code=THROTTLED):
            response.status_code = 429
            response["Retry-After"] = str(settings.FACEREPLACE_LOGIN_LOCKOUT_SECONDS)
        return response
