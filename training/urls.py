from django.urls import path

from training.api import TrainingRunDetailView, TrainingRunListView

urlpatterns = [
    path("api/training-runs/", TrainingRunListView.as_view(), name="api-runs"),
    path(
        "api/training-runs/<int:pk>/",
        TrainingRunDetailView.as_view(),
        name="api-run",
    ),
]
