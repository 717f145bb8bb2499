"""The bench's anchor: the seed's Python serving stack on the same bundle.

FastAPI + uvicorn + onnxruntime + Pillow, written the way such a service usually is: a sync
endpoint (FastAPI runs it on its thread pool, so Pillow and ONNX Runtime, which release the GIL,
overlap across requests), resize "cover" to the bundle's size with Lanczos, x / 127.5 - 1, one
InferenceSession per worker. Run by bench/serve.ts:

    ANCHOR_BUNDLE=<bundle dir> ANCHOR_THREADS=2 uvicorn server:app --workers 1 --no-access-log
"""

import json
import os
import uuid

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, File, HTTPException, UploadFile
from PIL import Image, ImageOps, UnidentifiedImageError

BUNDLE = os.environ["ANCHOR_BUNDLE"]
THREADS = int(os.environ.get("ANCHOR_THREADS", "1"))

with open(os.path.join(BUNDLE, "labels.json"), encoding="utf-8") as f:
    LABELS = json.load(f)
LABELS = LABELS["labels"] if isinstance(LABELS, dict) else LABELS
with open(os.path.join(BUNDLE, "preprocess.json"), encoding="utf-8") as f:
    SIZE = int(json.load(f)["size"])

options = ort.SessionOptions()
options.intra_op_num_threads = THREADS
options.inter_op_num_threads = 1
SESSION = ort.InferenceSession(
    os.path.join(BUNDLE, "model.onnx"), options, providers=["CPUExecutionProvider"]
)
INPUT = SESSION.get_inputs()[0].name
SESSION.run(None, {INPUT: np.zeros((1, SIZE, SIZE, 3), np.float32)})

app = FastAPI()


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/v1/predict")
def predict(image: UploadFile = File(...), topK: int = 3):
    try:
        picture = Image.open(image.file)
        picture = ImageOps.exif_transpose(picture).convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise HTTPException(status_code=400, detail=f"cannot decode image: {error}") from error
    picture = ImageOps.fit(picture, (SIZE, SIZE), Image.Resampling.LANCZOS)
    x = np.asarray(picture, dtype=np.float32) / 127.5 - 1.0
    probabilities = SESSION.run(None, {INPUT: x[None]})[0][0]
    top = np.argsort(-probabilities)[:topK]
    return {
        "id": str(uuid.uuid4()),
        "predictions": [
            {
                "label": LABELS[i]["id"],
                "name": LABELS[i]["name"],
                "confidence": float(probabilities[i]),
            }
            for i in top
        ],
    }
