from django.urls import path

from verification import eqa_views, views

app_name = "verification"

urlpatterns = [
    path("", views.strategies, name="strategies"),
    path("strategy/<int:qualification_pk>/", views.strategy_edit, name="strategy_edit"),
    path("ratings/", views.ratings, name="ratings"),
    path("plan/<int:pk>/", views.plan, name="plan"),
    path("plan/<int:pk>/draw/", views.draw, name="draw"),
    path("plans/<int:pk>/add/", views.add_sample, name="add_sample"),
    path("samples/<int:pk>/remove/", views.remove_sample, name="remove_sample"),
    path("eqa-visits/", eqa_views.visits, name="eqa_visits"),
]
