"""``POST /api/v1/score`` loads the serving model only after its signature verifies (issue 21, item 3):
a code-carrying model file with its card's hash updated is refused and its code never runs in the server."""

from __future__ import annotations

import hashlib
import json
import pathlib

import joblib
from test_auth_support import auth_app_fixture  # noqa: F401 (registers the fixture "auth_app")

RECORD = {"enterprise_id": "N1", "name": "新企业", "town_id": "T1", "sector": "mining"}


class Payload:
    """Unpickling this object creates ``marker``."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_score_refuses_a_tampered_model_and_serves_an_honest_one(auth_app, tmp_path) -> None:
    from sklearn.dummy import DummyClassifier

    from analytics.models.registry import ModelRegistry

    root = pathlib.Path(auth_app.app.server.extensions["saferank"]["config"]["models_dir"])
    ModelRegistry(root).register(DummyClassifier().fit([[0], [1]], [0, 1]), {"version": "v-signed", "model": "dummy"})
    client = auth_app.client()
    headers = {"Authorization": f"Bearer {auth_app.tokens['office']}"}
    honest = client.post("/api/v1/score", json={"enterprises": [RECORD]}, headers=headers)
    assert honest.status_code != 503, honest.get_json()  # the model loaded (town T1 is not in this store: 400)

    marker = tmp_path / "ran"
    joblib.dump(Payload(marker), root / "v-signed.joblib", compress=3)
    card = json.loads((root / "v-signed.json").read_text(encoding="utf-8"))
    card["sha256"] = hashlib.sha256((root / "v-signed.joblib").read_bytes()).hexdigest()
    (root / "v-signed.json").write_text(json.dumps(card), encoding="utf-8")
    response = client.post("/api/v1/score", json={"enterprises": [RECORD]}, headers=headers)
    assert not marker.exists()
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert "v-signed.joblib" in error["message_en"] and "v-signed.joblib" in error["message_zh"]
