from django.contrib.auth.views import LoginView
from django.urls import path

from workbench.accounts import views
from workbench.accounts.forms import LoginForm

urlpatterns = [
    path(
        "login/",
        LoginView.as_view(template_name="accounts/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", views.logout, name="logout"),
    path("signup/", views.signup, name="signup"),
    path("password_change/", views.password_change, name="password_change"),
    path("password_change/done/", views.password_change_done, name="password_change_done"),
]
