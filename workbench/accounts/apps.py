from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People's accounts: Django's own users, sign-up, log-in behind a lockout, and the
    switch that turns anonymous use off (README, "Accounts")."""

    name = "workbench.accounts"
