#!/usr/bin/env python3
"""scikit-learn Ridge regression -> ONNX without a converter (onnx_graphs.py), run by CI.

    python3 examples/export/sklearn_ridge.py [--models-dir models] [--features-json v5.2/features.json]

Needs scikit-learn, numpy and onnx (Debian: python3-sklearn python3-onnx). With skl2onnx installed,
sklearn_skl2onnx.py converts any estimator or pipeline, classifiers included.
"""

import numpy as np
from sklearn.linear_model import Ridge

import onnx_graphs
import recipe

args = recipe.parse_args("my_ridge", __doc__)
features = recipe.feature_sets(args.features_json)["small"]
x, y = recipe.training_data(len(features))   # a numpy array, not the DataFrame itself

model = Ridge(alpha=1.0).fit(x, y)

onnx_graphs.export_linear_regressor(model, len(features), f"{args.folder}/model.onnx")
recipe.write_model_yml(args, """\
dataset: v5.2
features: small
onnx: model.onnx
# A linear model gives NaN for a row with a gap: feed the middle bin instead.
fill_missing: 2
""")

# The engine feeds 2 where a value is missing, so the check rows are what the model receives: no NaN.
rows = recipe.check_rows(len(features))
recipe.check_against_library(args, "model.onnx", rows, model.predict(rows.astype(np.float64)), output="variable")
