"""``{% admin_dashboard as dashboard %}``: the admin index's figures and chart."""

from django import template

from training import admin_charts
from training.admin_views import run_progress
from training.dashboard import dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_dashboard(context):
    """The dashboard for users who may view training runs; None for the others."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("training.view_trainingrun"):
        return None
    data = dashboard()
    for run in data["active_runs"]:
        run.progress_html = run_progress(run)
    activity = data["activity"]
    data["chart"] = admin_charts.bar_chart(
        [row["day"].strftime("%b %d") for row in activity],
        [
            ("predictions", [row["predictions"] for row in activity], "predictions"),
            ("feedback", [row["feedback"] for row in activity], "feedback"),
        ],
        title=f"Predictions and feedback per day, last {data['days']} days",
    )
    return data
