"""Django REST framework with djoser and djangorestframework-simplejwt, as their docs show it.

A Django project reduced to one module: the settings ``startproject`` writes (its four
password validators included), DRF with simplejwt's ``JWTAuthentication`` as the djoser
docs configure it, djoser's URLs (``djoser.urls`` and ``djoser.urls.jwt``) under
``/auth/``, and drf-spectacular's schema at ``/api/schema/`` as its docs show (the
OpenAPI generator DRF's own docs point to), and the frontend URLs djoser's settings
require for its mails (it has no default for them: without ``PASSWORD_RESET_CONFIRM_URL``
a reset request for an existing account fails with a 500). Changes: a SQLite file given
on the command line, a random ``SECRET_KEY`` per process, the console mail backend (no
SMTP server here), and ``MD5PasswordHasher``, the fast hasher Django's testing docs
suggest: the scanner cannot see the hash, and PBKDF2 with Django's 1 000 000 iterations
would make each login cost a second on this machine. Served by uvicorn through Django's
ASGI handler.

    .venv-targets/bin/python tests/targets/drf_djoser/app.py --port P --data DIR
"""

# Django is imported in steps, after settings.configure(), as a one-module project must.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

import django
from django.conf import settings
from django.urls import include, path


def configure(database: Path) -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "rest_framework",
            "djoser",
            "drf_spectacular",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        AUTH_PASSWORD_VALIDATORS=[
            {"NAME": "django.contrib.auth.password_validation."
                     "UserAttributeSimilarityValidator"},
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": (
                "rest_framework_simplejwt.authentication.JWTAuthentication",
            ),
            "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        },
        SIMPLE_JWT={"AUTH_HEADER_TYPES": ("JWT", "Bearer")},
        SPECTACULAR_SETTINGS={"TITLE": "djoser target", "VERSION": "1.0.0"},
        # djoser renders its mails from templates and links to the frontend's pages; the
        # three URLs are the ones its docs' settings page gives.
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                    "APP_DIRS": True}],
        DJOSER={
            "PASSWORD_RESET_CONFIRM_URL": "#/password/reset/confirm/{uid}/{token}",
            "USERNAME_RESET_CONFIRM_URL": "#/username/reset/confirm/{uid}/{token}",
            "ACTIVATION_URL": "#/activate/{uid}/{token}",
        },
    )


def _urls() -> list:
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

    return [
        path("auth/", include("djoser.urls")),
        path("auth/", include("djoser.urls.jwt")),
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/schema/swagger-ui/", SpectacularSwaggerView.as_view(url_name="schema"),
             name="swagger-ui"),
    ]


def __getattr__(name: str) -> list:
    # Django reads ``urlpatterns`` from ROOT_URLCONF (this module) only after setup.
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True, help="directory for the database")
    args = parser.parse_args()
    configure(args.data / "drf_djoser.sqlite3")
    django.setup()
    import uvicorn
    from django.core.asgi import get_asgi_application
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    uvicorn.run(get_asgi_application(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
