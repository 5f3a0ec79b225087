from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("predictions.urls")),
    path("", include("feedback.urls")),
    path("", include("training.urls")),
]

handler404 = "predictions.errors.json_not_found"
