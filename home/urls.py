from django.urls import path

from home import views

# No namespace: `home` is LOGIN_REDIRECT_URL and every page's link back.
urlpatterns = [
    path("", views.home, name="home"),
]
