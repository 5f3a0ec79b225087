from django.urls import path

from feedback.api import FeedbackCreateView

urlpatterns = [path("api/feedback/", FeedbackCreateView.as_view(), name="api-feedback")]
