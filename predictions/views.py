from django.http import JsonResponse
from django.shortcuts import render

from predictions.health import health_report
from training.registry import production_versions


def home(request):
    return render(request, "predictions/home.html", {"versions": production_versions()})


def health(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["ready"] else 503)
