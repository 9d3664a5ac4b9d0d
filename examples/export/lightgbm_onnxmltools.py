#!/usr/bin/env python3
"""LightGBM regressor -> ONNX with onnxmltools. Not run by CI: LightGBM and onnxmltools are not packaged for Debian.

    pip install lightgbm==4.7.0 onnxmltools==1.16.0 onnx
    python3 examples/export/lightgbm_onnxmltools.py [--models-dir models] [--features-json v5.2/features.json]

Written for lightgbm 4.7.0, onnxmltools 1.16.0 and onnx 1.23.
"""

import lightgbm as lgb
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType

import recipe

args = recipe.parse_args("my_lgbm", __doc__)
features = recipe.feature_sets(args.features_json)["small"]
x, y = recipe.training_data(len(features))   # yours: train[features].to_numpy(), train["target"]

model = lgb.LGBMRegressor(n_estimators=200, learning_rate=0.05, max_depth=5, num_leaves=2**5 - 1, verbose=-1)
model.fit(x, y)

onnx_model = convert_lightgbm(
    model,
    initial_types=[("float_input", FloatTensorType([None, len(features)]))],
    target_opset=15,
    zipmap=False,   # only matters for LGBMClassifier: probabilities as a tensor
    split=100,      # sums big forests in chunks, closer to LightGBM's double-precision result
)
with open(f"{args.folder}/model.onnx", "wb") as handle:
    handle.write(onnx_model.SerializeToString())
recipe.write_model_yml(args, """\
dataset: v5.2
features: small
onnx: model.onnx
""")

rows = recipe.check_rows(len(features), missing_share=0.05)
recipe.check_against_library(args, "model.onnx", rows, model.predict(rows), output="variable")
