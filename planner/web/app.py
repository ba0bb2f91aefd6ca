"""The web app: pages, fragments for the page's script, and a small JSON API.

Every request is independent: the page sends the assessment it shows (and the edits made
to it) with each call, so nothing is kept on the server. durable-rules is not thread-safe,
so every plan is made, explained and rendered under one lock (``PLANNING``).
"""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from flask import Flask, Response, abort, jsonify, render_template, request
from markupsafe import Markup

from planner.errors import InputError, SeqplanError
from planner.api import render_map

PLANNING = threading.Lock()
MAX_REQUEST_BYTES = 256 * 1024
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
SOURCE = "assessment"
JSON_PATHS = ("/api/", "/ui/", "/cds-services")   # answered in JSON, errors too (/ui/: the page's script reads JSON)
DOWNLOADS = ("md", "json", "html", "yaml", "handout-caregiver", "handout-teacher")
HYPOTHETICAL = "hypothetical-what-if"     # in the name of every file downloaded after an edit
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


class BadRequest(Exception):
    """A request the API cannot use (not JSON, missing field): 400 with a one-line message."""


def _error_dict(exc):
    if isinstance(exc, InputError):
        return {"source": str(exc.file), "field": exc.field, "problem": exc.problem, "fix": exc.fix,
                "line": exc.line, "message": str(exc)}
    return {"message": str(exc)}


def _utf8(value):
    """False when ``value`` (parsed JSON) holds text that cannot be written as UTF-8 (a lone
    surrogate, which JSON's \\u escapes can carry)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        return False
    return True


def _host_name(host):
    """A Host header's (or a bound name's) name without the port, IPv6 without brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.split(":")[0] if host.count(":") == 1 else host


def create_app(kb_dir=None, trusted_hosts=None, db=None, public=False, secure_cookies=None, secret_key=None):
    """The Flask app; ``kb_dir`` picks a knowledge base (the bundled one by default). With
    ``db`` (a case record's path or URL) it adds the case-record pages (planner.web.records);
    ``public``: bound beyond this machine, so everyone logs in; ``secure_cookies``: the
    session cookie only over HTTPS (default: when ``public``); ``secret_key`` signs sessions
    (one key for all of a server's worker processes; default: a new random one)."""
    from planner.api import load_knowledge_base
    from planner.web import auth

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES, MAX_FORM_MEMORY_SIZE=MAX_REQUEST_BYTES,
                      TRUSTED_HOSTS=None, JSON_SORT_KEYS=False,
                      SEQPLAN_DB=db, SEQPLAN_KB=kb_dir)
    kb = load_knowledge_base(kb_dir)
    allowed = {_host_name(h) for h in (trusted_hosts or LOOPBACK_HOSTS)}

    @app.before_request
    def known_host():
        """Only the names this server was started for (werkzeug's own check never matches an
        IPv6 name such as [::1], so `serve --host ::1` refused every browser)."""
        if _host_name(request.headers.get("Host", "")) not in allowed:
            return jsonify(error={"message": "unknown Host: this server answers only to the names it serves"}), 400

    auth.install(app, db, public, public if secure_cookies is None else secure_cookies, secret_key)
    if db is not None:
        from planner.api import open_record
        from planner.web.records import bp

        open_record(db, kb_dir)          # migrate now: a bad --db is an error at start, not on a page
        app.register_blueprint(bp)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)     # a printed report sets its own
        response.headers["X-Content-Type-Options"] = "nosniff"
        # same-origin, not no-referrer: a browser then sends this site's Origin with a POST,
        # which the same-origin check of planner.web.auth reads
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(SeqplanError)
    def seqplan_error(exc):
        return jsonify(error=_error_dict(exc)), 422 if isinstance(exc, InputError) else 400

    @app.errorhandler(BadRequest)
    def bad_request(exc):
        return jsonify(error={"message": str(exc)}), 400

    @app.errorhandler(413)
    def too_large(exc):
        return jsonify(error={"message": f"request larger than {MAX_REQUEST_BYTES // 1024} KiB"}), 413

    @app.errorhandler(RecursionError)
    def too_deep(exc):                   # a JSON body nested 100,000 deep
        return jsonify(error={"message": "the request is nested too deeply to read"}), 400

    @app.errorhandler(Exception)
    def unexpected(exc):
        """Anything else is a defect: logged, and answered as JSON, never an HTML 500 page."""
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):       # a page's 404 stays a page; the API's is JSON
            return (jsonify(error={"message": exc.description}), exc.code) \
                if request.path.startswith(JSON_PATHS) else exc
        app.logger.exception("unexpected error")
        return jsonify(error={"message": "the server could not answer this request (a defect: see its log)"}), 500

    # ------------------------------------------------------------ reading requests

    def body():
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest("send a JSON object (Content-Type: application/json)")
        return data

    def edits_of(data):
        sets = data.get("set") or {}
        if not isinstance(sets, (dict, list)):
            raise BadRequest("'set' must be an object of FIELD: VALUE (or a list of 'FIELD=VALUE')")
        return sets

    def assessment_of(data):
        mapping = data.get("assessment")
        if not isinstance(mapping, dict):
            raise BadRequest("'assessment' must be an assessment as a JSON object")
        return mapping

    def plans(data):
        """(report, plan as given or its summary, plan as edited) for a request body; a
        ``baseline`` object in the body (a summary of the unedited plan) saves planning it."""
        from planner.api import whatif_data

        baseline = data.get("baseline")
        mapping, sets = assessment_of(data), edits_of(data)
        if not isinstance(baseline, dict) or not _utf8(baseline):     # its text is echoed in the answer
            return whatif_data(mapping, sets, kb, source=SOURCE)
        try:
            return whatif_data(mapping, sets, kb, source=SOURCE, baseline=baseline)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            # a baseline with the right digests but a broken inside (whatif.usable_baseline checks
            # only its top level): ignored, as a baseline that does not match is
            return whatif_data(mapping, sets, kb, source=SOURCE)

    def edited(data):
        """(plan of the edited assessment, edited mapping) for a request body; a plan that
        differs from the assessment as given carries its edits (``hypothetical``)."""
        from planner.api import apply_sets, edit_list, edited_plan, parse_sets

        mapping, sets = assessment_of(data), edits_of(data)
        edits = parse_sets(sets, kb)
        plan = edited_plan(mapping, sets, kb, SOURCE)
        plan.hypothetical = edit_list(mapping, edits)
        return plan, apply_sets(mapping, edits)

    # ------------------------------------------------------------ pages

    def bundled():
        """What the home page offers: the vignettes (with their note's title) and the examples."""
        from planner.api import describe_bundled, example_paths, vignette_note, vignette_paths

        return {"vignettes": [{"name": n, "title": (vignette_note(n) or {}).get("title", n), "about": describe_bundled(p)}
                              for n, p in vignette_paths().items()],
                "examples": [{"name": n, "about": describe_bundled(p)} for n, p in example_paths().items()]}

    @app.get("/")
    def home():
        return render_template("index.html", **bundled(), errors=None, text="", listing=None)

    @app.get("/case/<name>")
    def bundled_case(name):
        from planner.api import bundled_paths, load_assessment, vignette_note

        paths = bundled_paths()
        if name not in paths:
            abort(404)
        mapping = load_assessment(paths[name], kb).canonical
        return case_page(mapping, name, vignette_note(name))

    @app.post("/case")
    def uploaded_case():
        from planner.api import assessment_from_data, assessment_problems, parse_assessment

        upload = request.files.get("file")
        text, filename = request.form.get("text", ""), "pasted"
        if upload and upload.filename:
            raw = upload.read()
            filename = Path(upload.filename).name
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return index_with_errors("", [InputError(filename, None, "is not UTF-8 text",
                                                         "save it as UTF-8 YAML or JSON")])
        is_json = filename.lower().endswith(".json") or (not filename.lower().endswith((".yaml", ".yml"))
                                                         and text.lstrip().startswith("{"))
        source = Path(filename if "." in filename else filename + (".json" if is_json else ".yaml"))
        try:
            data = parse_assessment(source, text)
        except InputError as exc:
            return index_with_errors(text, [exc])
        errors = assessment_problems(data, source, text, kb)
        if errors:
            return index_with_errors(text, errors)
        return case_page(assessment_from_data(data, source, text, kb).canonical, source.name, None)

    def index_with_errors(text, errors):
        by_line, unplaced = {}, []
        for e in errors:
            (by_line.setdefault(e.line, []) if e.line else unplaced).append(e)
        listing = [{"n": i, "code": line, "errors": by_line.get(i, [])}
                   for i, line in enumerate(text.splitlines(), 1)]
        return render_template("index.html", **bundled(), errors=errors, unplaced=unplaced, text=text,
                               listing=listing), 422

    def case_page(mapping, name, note):
        with PLANNING:
            from planner.api import compare_summaries, plan_mapping, plan_summary

            plan = plan_mapping(mapping, kb, SOURCE)
            baseline = plan_summary(plan)
            report = compare_summaries(baseline, baseline)
            fragments = render_fragments(report, plan)
        functions = [{"region": r["id"], "region_label": r["label"],
                      "functions": [{"id": f["id"], "label": f["label"], "score": f["score"]} for f in r["functions"]]}
                     for r in plan.regions]
        return render_template("case.html", name=name, note=note, mapping=mapping, plan=plan, baseline=baseline,
                               functions=functions, fragments=fragments, arousal_states=arousal_states(),
                               scale_max=kb.parameter_values["rating_scale_max"], downloads=DOWNLOADS,
                               layers=kb.layers, try_set=try_set(note),
                               before={"map": Markup(render_map(plan, "before-")), "state": state_of(plan)})

    def try_set(note):
        """The teaching note's what-if as the page's controls name them ({field: value});
        ``None`` for a case without a note."""
        from planner.api import parse_sets

        return dict(parse_sets(note["whatif"]["set"], kb)) if note and note.get("whatif") else None

    def state_of(plan):
        """The child's state drawn beside the map: what gates the plan before any score does."""
        return Markup(render_template("_state.html", plan=plan, p=kb.parameter_values))

    def arousal_states():
        from planner.api import assessment_schema

        return assessment_schema()["properties"]["current"]["properties"]["arousal"]["enum"]

    def render_fragments(report, plan):
        steps_changed = {s["activity"]: s["change"] for s in report["steps"]}
        return {
            "map": Markup(render_map(plan)),
            "state": state_of(plan),
            "plan": Markup(render_template("_plan.html", plan=plan, report=report, steps_changed=steps_changed,
                                           phases=kb.phases, label=kb.label,
                                           changed_deferred={d["activity"] for d in report["deferred"]},
                                           changed_excluded={d["activity"] for d in report["excluded"]})),
            "changes": Markup(render_template("_changes.html", r=report)),
        }

    # ------------------------------------------------------------ the page's script

    @app.post("/ui/update")
    def ui_update():
        with PLANNING:
            report, _, after = plans(body())
            fragments = render_fragments(report, after)
        return jsonify({k: str(v) for k, v in fragments.items()} | {"changed": report["changed"]})

    @app.post("/ui/steps")
    def ui_steps():
        from planner.api import step_layers

        with PLANNING:
            after, _ = edited(body())
            data = step_layers(after)
        return jsonify(layers=data)

    # ------------------------------------------------------------ the JSON API

    @app.post("/api/plan")
    def api_plan():
        from planner.api import render_plan

        data = body()
        fmt = data.get("format", "json")
        if fmt not in ("json", "md", "html"):
            raise BadRequest("'format' must be json, md or html")
        with PLANNING:
            after, _ = edited(data)
            text = render_plan(after, fmt)
        if fmt == "json":
            return Response(text, mimetype="application/json")
        return Response(text, mimetype="text/html" if fmt == "html" else "text/markdown")

    @app.post("/api/whatif")
    def api_whatif():
        from planner.api import plan_summary

        data = body()
        with PLANNING:
            report, before, _ = plans(data)
            if data.get("baseline") is True:
                report = dict(report, baseline=plan_summary(before))
            text = json.dumps(report, ensure_ascii=False)
        return Response(text, mimetype="application/json")

    @app.post("/api/why")
    def api_why():
        from planner.api import render_how, render_why_not

        data = body()
        target, kind = data.get("target"), data.get("kind", "why")
        if not isinstance(target, str) or not target:
            raise BadRequest("'target' must be a step id (S1) or an activity id")
        if kind not in ("why", "why-not"):
            raise BadRequest("'kind' must be why or why-not")
        from planner.api import explain_plan

        with PLANNING:
            after, _ = edited(data)
            text = (render_how if kind == "why" else render_why_not)(after, target)
            html = render_template("_why.html", e=explain_plan(after, target, why_not=kind == "why-not"))
        return jsonify(target=target, kind=kind, text=text, html=html)

    # ------------------------------------------------------------ downloads

    @app.post("/download")
    def download():
        import yaml

        from planner.api import render_handout, render_plan

        fmt = request.form.get("fmt", "")
        if fmt not in DOWNLOADS:
            raise BadRequest(f"choose one of: {', '.join(DOWNLOADS)}")
        try:
            data = {"assessment": json.loads(request.form.get("assessment", "")),
                    "set": json.loads(request.form.get("set") or "{}")}
        except ValueError:
            raise BadRequest("the form's assessment and set must be JSON")
        with PLANNING:
            after, changed = edited(data)
            if fmt == "yaml":
                order = ("format", "client", "assessed_on", "assessor", "functioning", "history", "current", "context")
                changed = {k: changed[k] for k in sorted(changed, key=lambda k: order.index(k) if k in order else 99)}
                text = yaml.safe_dump(changed, sort_keys=False, allow_unicode=True)
                if after.hypothetical:
                    text = render_template("hypothetical.yaml", plan=after) + "\n" + text   # Jinja drops its last newline
                ext, mime = "yaml", "application/yaml"
            elif fmt.startswith("handout-"):
                text, ext, mime = render_handout(after, fmt.split("-", 1)[1], "html"), "html", "text/html"
            else:
                text = render_plan(after, fmt)
                ext, mime = fmt, {"md": "text/markdown", "json": "application/json", "html": "text/html"}[fmt]
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(after.client["id"]))[:60] or "assessment"
        suffix = "assessment" if fmt == "yaml" else fmt if fmt.startswith("handout-") else "plan"
        if after.hypothetical:
            suffix = f"{suffix}-{HYPOTHETICAL}"
        return Response(text, mimetype=mime, headers={
            "Content-Disposition": f'attachment; filename="{stem}-{suffix}.{ext}"'})

    if db is not None and not public:          # CDS Hooks needs the record, and an EHR's JWT
        from planner.web.cds import register   # is not verified yet: this machine only
        register(app, kb_dir)
    return app
