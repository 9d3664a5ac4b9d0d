#!/usr/bin/env python3
"""scikit-learn pipeline (a classifier) -> ONNX with skl2onnx. Not run by CI: skl2onnx is not packaged for Debian
(sklearn_ridge.py, which CI runs, exports a Ridge regression without it).

    pip install scikit-learn==1.9.1 skl2onnx==1.20.0 onnx
    python3 examples/export/sklearn_skl2onnx.py [--models-dir models] [--features-json v5.2/features.json]

Written for scikit-learn 1.9.1, skl2onnx 1.20.0 and onnx 1.23.
"""

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import recipe

args = recipe.parse_args("my_sklearn", __doc__)
features = recipe.feature_sets(args.features_json)["small"]
x, y = recipe.training_data(len(features))   # a numpy array: to_onnx(model, df) would make one input per column
labels = (y > 0.5).astype(np.int64)          # a classifier of "above the middle"

# Preprocessing steps convert with the model: the whole pipeline becomes one graph.
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, labels)

onnx_model = convert_sklearn(
    model,
    initial_types=[("float_input", FloatTensorType([None, len(features)]))],
    options={"zipmap": False},   # every classifier in the pipeline: output_probability as a [N, 2] tensor
    target_opset={"": 15, "ai.onnx.ml": 3},
)
with open(f"{args.folder}/model.onnx", "wb") as handle:
    handle.write(onnx_model.SerializeToString())
recipe.write_model_yml(args, """\
dataset: v5.2
features: small
onnx: model.onnx
# The positive class's probability, as predict_proba(X)[:, 1] (also what the engine picks by default).
output: output_probability[1]
fill_missing: 2
""")

rows = recipe.check_rows(len(features))
recipe.check_against_library(args, "model.onnx", rows, model.predict_proba(rows)[:, 1],
                             output="output_probability", column=1)
