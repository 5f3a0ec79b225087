"""Training runs over the API: staff read them; model operators start them."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response

from predictions.serializers import ErrorSerializer
from training.jobs import training_run_enqueue
from training.models import TrainingRun
from training.serializers import TrainingRunRequestSerializer, TrainingRunSerializer


class CanStartTraining(permissions.BasePermission):
    message = "Starting training needs the 'Can start a training run' permission."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.has_perm("training.start_training")


DENIED = {
    401: OpenApiResponse(ErrorSerializer, "Not signed in (session or token)."),
    403: OpenApiResponse(ErrorSerializer, "Staff only; starting needs permission."),
}


class TrainingRunListView(generics.ListCreateAPIView):
    queryset = TrainingRun.objects.prefetch_related("versions")
    serializer_class = TrainingRunSerializer
    permission_classes = [permissions.IsAdminUser, CanStartTraining]

    @extend_schema(responses={200: TrainingRunSerializer(many=True), **DENIED})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=TrainingRunRequestSerializer,
        responses={
            202: TrainingRunSerializer,
            400: OpenApiResponse(ErrorSerializer, "A parameter out of range."),
            **DENIED,
        },
        summary="Queue a training run with chosen parameters; returns at once.",
    )
    def post(self, request, *args, **kwargs):
        serializer = TrainingRunRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        run = training_run_enqueue(
            trigger=TrainingRun.Trigger.API,
            model_type=data.pop("model_type"),
            params=data,
            reason="requested through the API",
            requested_by=request.user.get_username(),
        )
        return Response(
            TrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED
        )


class TrainingRunDetailView(generics.RetrieveAPIView):
    queryset = TrainingRun.objects.prefetch_related("versions")
    serializer_class = TrainingRunSerializer
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        responses={200: TrainingRunSerializer, 404: ErrorSerializer, **DENIED}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
