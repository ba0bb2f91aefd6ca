"""The CDS Hooks endpoints of `seqplan serve` (thin: each a call into planner.api). An EHR
calls them server to server with JSON, so they take no cookies and every answer, error or
not, is a JSON body."""
from __future__ import annotations

from flask import Blueprint, jsonify, request


def register(app, kb_dir=None):
    """Add /cds-services (discovery), /cds-services/<id> (the hook) and its /feedback, on the
    case record ``app.config["SEQPLAN_DB"]`` (create_app adds them only with a record, on a
    server bound to this machine: an EHR's JWT is not verified yet)."""
    from planner import api
    from planner.api import CdsError
    from planner.errors import InputError, SeqplanError

    cds = Blueprint("cds", __name__)

    def body():
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise CdsError(400, "send a JSON object (Content-Type: application/json)")
        return data

    @cds.get("/cds-services")
    def discovery():
        return jsonify(api.cds_discovery())

    @cds.post("/cds-services/<service_id>")
    def hook(service_id):
        return jsonify(api.cds_call(service_id, body(), app.config.get("SEQPLAN_DB"), kb_dir=kb_dir))

    @cds.post("/cds-services/<service_id>/feedback")
    def feedback(service_id):
        decided = api.cds_feedback(service_id, body(), app.config.get("SEQPLAN_DB"), kb_dir=kb_dir)
        return jsonify(decisions=[f"D{n}" for n in decided])

    @cds.errorhandler(SeqplanError)
    def refused(exc):
        status = exc.status if isinstance(exc, CdsError) else 422 if isinstance(exc, InputError) else 409
        return jsonify(error={"message": str(exc)}), status

    app.register_blueprint(cds)
