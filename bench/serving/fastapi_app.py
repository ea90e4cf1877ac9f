"""The reference service for bench/serving: the paper's architecture.

The 2022 paper served its model with FastAPI behind Uvicorn. This app answers
the same three endpoints as `conveyor serve`, from the same project (registry
and cache), so the benchmark compares the two architectures on equal work:

  POST /predict                  multipart/form-data with an UploadFile `file`;
                                 cv2.imdecode as grayscale, resized to the
                                 spec's size (area interpolation when shrinking),
                                 the spec's deskew and scale, xgboost predict.
                                 Answers {"class", "label", "probabilities",
                                 "model": {"name", "tag", "version"},
                                 "request_id"} like conveyor.
  GET  /get_experiment_metas     the registry's experiments (tag, commit,
                                 status, params, metrics, created_at and the
                                 model versions each produced), read straight
                                 from .conveyor/registry.db with sqlite3;
                                 `limit` and `offset`, newest first. No lineage.
  POST /replace_ml_model?tag=T   finds the newest version of the model that
                                 experiment T produced in the registry, copies
                                 its files out of the DVC cache
                                 (.dvc/cache/files/md5) into a temporary
                                 directory, loads model.yaml and the booster,
                                 checks it on the spec's sample input, then
                                 swaps the module-level model. Each Uvicorn
                                 worker is its own process, so a replace
                                 reaches only the worker that received it.

Everything the model needs (input size, deskew, scale, labels, model file)
comes from model.yaml, read with PyYAML; nothing is hard-coded.

Run (Debian's python, the one with python3-fastapi and python3-xgboost):
  CONVEYOR_PROJECT=/path/to/project CONVEYOR_MODEL=digits \
  CONVEYOR_TAG=<experiment tag> \
  /usr/bin/python3 -m uvicorn --app-dir bench/serving fastapi_app:app \
      --host 127.0.0.1 --port 8001 --workers 2 --log-level warning
CONVEYOR_TAG unset: the newest version of the model.
"""

import json
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid

import cv2
import numpy as np
import xgboost as xgb
import yaml
from fastapi import FastAPI, File, HTTPException, UploadFile

PROJECT = os.environ.get("CONVEYOR_PROJECT", ".")
MODEL_NAME = os.environ.get("CONVEYOR_MODEL", "digits")
REGISTRY = os.path.join(PROJECT, ".conveyor", "registry.db")
CACHE = os.path.join(PROJECT, ".dvc", "cache", "files", "md5")


class LoadedModel:
    """One model version: its spec (model.yaml), booster and registry identity."""

    def __init__(self, model_dir, spec_file, identity):
        with open(os.path.join(model_dir, spec_file)) as f:
            self.spec = yaml.safe_load(f)
        inp = self.spec["input"]
        if inp["kind"] != "grayscale_image":
            raise ValueError(f"input kind {inp['kind']!r} is not supported")
        if self.spec["backend"] != "xgboost":
            raise ValueError(f"backend {self.spec['backend']!r} is not supported")
        self.height = int(inp["height"])
        self.width = int(inp["width"])
        self.scale = float(inp["scale"])
        self.deskew = bool(inp["deskew"])
        self.labels = [str(label) for label in self.spec["labels"]]
        self.booster = xgb.Booster()
        self.booster.load_model(os.path.join(model_dir, self.spec["model_file"]))
        self.booster.set_param({"nthread": 1})
        self.identity = identity

    def features(self, gray):
        """A uint8 grayscale image of any size -> one row of features."""
        if gray.shape != (self.height, self.width):
            shrinking = gray.shape[0] > self.height or gray.shape[1] > self.width
            gray = cv2.resize(gray, (self.width, self.height),
                              interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
        img = gray.astype(np.float32)
        if self.deskew:
            m = cv2.moments(img)
            if abs(m["mu02"]) >= 1e-2:
                skew = m["mu11"] / m["mu02"]
                warp = np.float32([[1, skew, -0.5 * self.width * skew], [0, 1, 0]])
                img = cv2.warpAffine(img, warp, (self.width, self.height),
                                     flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return (img * self.scale).reshape(1, -1)

    def predict(self, gray):
        proba = self.booster.inplace_predict(self.features(gray))[0]
        cls = int(np.argmax(proba))
        return cls, self.labels[cls], [float(p) for p in proba]

    def check(self):
        sample = self.spec["sample_input"]
        pixels = np.array(sample["pixels"], dtype=np.uint8).reshape(self.height, self.width)
        _, label, _ = self.predict(pixels)
        if label != str(sample["expected_label"]):
            raise ValueError(f"sample input predicted {label!r}, model.yaml expects "
                             f"{sample['expected_label']!r}")


def _registry():
    db = sqlite3.connect(f"file:{REGISTRY}?mode=ro", uri=True, timeout=5)
    db.row_factory = sqlite3.Row
    return db


def _cache_file(md5):
    return os.path.join(CACHE, md5[:2], md5[2:])


def load_version(tag):
    """The newest version of MODEL_NAME from experiment `tag` (any when None)."""
    with _registry() as db:
        sql = ("SELECT v.version, v.path, v.md5, v.spec_path, e.tag FROM model_versions v "
               "LEFT JOIN experiments e ON e.id = v.experiment_id WHERE v.model = ?")
        args = [MODEL_NAME]
        if tag is not None:
            sql += " AND e.tag = ?"
            args.append(tag)
        row = db.execute(sql + " ORDER BY v.version DESC LIMIT 1", args).fetchone()
    if row is None:
        raise KeyError(f"{MODEL_NAME}@{tag}: no such model version")
    # The version is a DVC directory object: a JSON list of its files.
    with open(_cache_file(row["md5"])) as f:
        entries = json.load(f)
    model_dir = tempfile.mkdtemp(prefix="fastapi-model-")
    try:
        for entry in entries:
            target = os.path.join(model_dir, entry["relpath"])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(_cache_file(entry["md5"]), target)
        spec_file = os.path.relpath(row["spec_path"], row["path"])
        identity = {"name": MODEL_NAME, "tag": row["tag"], "version": row["version"]}
        model = LoadedModel(model_dir, spec_file, identity)
        model.check()
        return model
    finally:
        shutil.rmtree(model_dir, ignore_errors=True)


app = FastAPI(title="digits (FastAPI reference)")
model = load_version(os.environ.get("CONVEYOR_TAG") or None)
replace_lock = threading.Lock()


@app.post("/predict")
async def predict(file: UploadFile = File(...)):
    data = await file.read()
    gray = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise HTTPException(status_code=415, detail="not an image")
    current = model  # one reference for the whole request
    cls, label, probabilities = current.predict(gray)
    return {"class": cls, "label": label, "probabilities": probabilities,
            "model": current.identity, "request_id": uuid.uuid4().hex}


@app.get("/get_experiment_metas")
def get_experiment_metas(limit: int = 100, offset: int = 0):
    with _registry() as db:
        experiments = db.execute(
            "SELECT id, tag, commit_sha, status, finished_at_ms, params, metrics "
            "FROM experiments ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        metas = []
        for e in experiments:
            versions = db.execute(
                "SELECT model, version, md5 FROM model_versions WHERE experiment_id = ? "
                "ORDER BY version", (e["id"],)).fetchall()
            metas.append({
                "tag": e["tag"], "commit": e["commit_sha"], "status": e["status"],
                "created_at_ms": e["finished_at_ms"], "params": json.loads(e["params"]),
                "metrics": json.loads(e["metrics"]),
                "models": [{"name": v["model"], "version": v["version"], "md5": v["md5"]}
                           for v in versions]})
    return metas


@app.post("/replace_ml_model")
def replace_ml_model(tag: str):
    global model
    with replace_lock:  # sync endpoint: runs on the threadpool, one at a time
        try:
            new = load_version(tag)
        except KeyError as e:
            raise HTTPException(status_code=404, detail=e.args[0])
        old = model
        model = new
    return {"replaced": old.identity, "by": new.identity}
