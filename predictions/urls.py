from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from predictions import api, views

urlpatterns = [
    path("", views.upload, name="home"),
    path("r/<uuid:public_id>/", views.result, name="result"),
    path("r/<uuid:public_id>/feedback/", views.feedback, name="feedback"),
    path("api/predictions/", api.PredictionCreateView.as_view(), name="api-predict"),
    path(
        "api/predictions/batch/",
        api.PredictionBatchView.as_view(),
        name="api-predict-batch",
    ),
    path(
        "api/predictions/<uuid:id>/",
        api.PredictionDetailView.as_view(),
        name="api-prediction",
    ),
    path("api/models/", api.ModelListView.as_view(), name="api-models"),
    path("api/health/", api.HealthView.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]
