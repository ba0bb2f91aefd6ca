"""The case-record pages (`seqplan serve --db`): caseload, child, new assessment, plan
review and sign-off, printing, audit. Each route reads the request, makes one call into
``planner.api.open_desk`` (which checks the user's role and caseload and audits the read)
and renders a template."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for

from planner.api import Forbidden, RecordError

bp = Blueprint("record", __name__)
PRINT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
             "base-uri 'none'; form-action 'none'")
READERS = ("caregiver", "teacher")


def desk():
    from planner.api import open_desk

    if g.user is None:
        abort(403)
    return open_desk(g.user, current_app.config["SEQPLAN_DB"], current_app.config["SEQPLAN_KB"])


@bp.errorhandler(Forbidden)
def forbidden(exc):
    return render_template("error.html", message=str(exc)), 403


@bp.errorhandler(RecordError)
def refused(exc):
    return render_template("error.html", message=str(exc)), 400


def caseload_options():
    from planner.api import CASELOAD_FILTERS as FILTERS

    from planner.api import load_knowledge_base

    soon = load_knowledge_base(current_app.config["SEQPLAN_KB"]).parameter_values["review_due_soon_weeks"]
    weeks = request.args.get("weeks", "")
    return {"only": [f for f in FILTERS if request.args.get(f)], "sort": request.args.get("sort", "review_due"),
            "descending": request.args.get("order") == "desc",
            "weeks": int(weeks) if weeks.isdigit() and len(weeks) < 4 else soon}


@bp.get("/caseload")
def caseload():
    options = caseload_options()
    return render_template("caseload.html", rows=desk().caseload(**options), options=options)


@bp.get("/caseload.csv")
def caseload_csv():
    return Response(desk().caseload_csv(**caseload_options()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="caseload.csv"'})


@bp.get("/child/<ref>")
def child(ref):
    return render_template("child.html", c=desk().child(ref))


@bp.post("/child/<ref>/assign")
def assign(ref):
    desk().assign(ref, request.form.get("clinician", ""), request.form.get("action", "assign"))
    return redirect(url_for("record.child", ref=ref))


@bp.get("/child/<ref>/audit")
def audit(ref):
    return render_template("audit.html", a=desk().audit(ref))


@bp.route("/assess", methods=["GET", "POST"])
def assess():
    problems, plan, upload = [], None, request.files.get("file")
    if request.method == "POST":
        if upload and upload.filename:
            problems, plan = desk().add_upload(upload.filename, upload.read())
        else:
            problems, plan = desk().add_form(request.form)
        if plan:
            return redirect(url_for("record.review", plan=f"P{plan}"))
    return render_template("assess.html", form=desk().form(), values=request.form, problems=problems,
                           by_field={p.field: p for p in problems if p.field},
                           upload=upload.filename if upload else None), 422 if problems else 200


@bp.get("/plan/<plan>")
def review(plan):
    return render_template("review.html", r=desk().review(plan), error=None)


@bp.post("/plan/<plan>/decide")
def decide(plan):
    f = request.form
    try:
        desk().decide(plan, f.get("step"), f.get("action", ""), f.get("activity"), f.get("reason"), f.get("note", ""))
    except Forbidden:
        raise
    except RecordError as exc:
        return render_template("review.html", r=desk().review(plan), error=str(exc)), 422
    return redirect(url_for("record.review", plan=plan, _anchor=f"step-{f.get('step') or 'add'}"))


@bp.post("/plan/<plan>/sign")
def sign(plan):
    desk().sign(plan, request.form.get("role", ""))
    return redirect(url_for("record.review", plan=plan))


@bp.get("/plan/<plan>/print")
def printed(plan):
    reader = request.args.get("for")
    text = desk().print(plan, "html", reader if reader in READERS else None)
    return Response(text, mimetype="text/html", headers={"Content-Security-Policy": PRINT_CSP})


@bp.get("/plan/<plan>/reproduce")
def reproduce(plan):
    reproduced, lines, name = desk().reproduce(plan)
    return render_template("reproduce.html", reproduced=reproduced, lines=lines, plan=name)
