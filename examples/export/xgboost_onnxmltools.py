#!/usr/bin/env python3
"""XGBoost regressor -> ONNX with onnxmltools. Not run by CI: onnxmltools is not packaged for Debian
(xgboost_regressor.py, which CI runs, writes the same graph without it).

    pip install xgboost==3.4.1 onnxmltools==1.16.0 onnx
    python3 examples/export/xgboost_onnxmltools.py [--models-dir models] [--features-json v5.2/features.json]

Written for xgboost 3.4.1, onnxmltools 1.16.0 and onnx 1.23.
"""

import xgboost as xgb
from onnxmltools import convert_xgboost
from onnxmltools.convert.common.data_types import FloatTensorType

import recipe

args = recipe.parse_args("my_xgb", __doc__)
features = recipe.feature_sets(args.features_json)["small"]
x, y = recipe.training_data(len(features))

# convert_xgboost only understands feature names f0, f1, ...: train on a numpy array, not on a DataFrame with
# Numerai's feature_* column names (that fails with "Unable to interpret 'feature_...'").
model = xgb.XGBRegressor(n_estimators=200, max_depth=4, learning_rate=0.05, colsample_bytree=0.5, n_jobs=2)
model.fit(x, y)

onnx_model = convert_xgboost(
    model, initial_types=[("float_input", FloatTensorType([None, len(features)]))], target_opset=15)
with open(f"{args.folder}/model.onnx", "wb") as handle:
    handle.write(onnx_model.SerializeToString())
recipe.write_model_yml(args, """\
dataset: v5.2
features: small
onnx: model.onnx
""")

rows = recipe.check_rows(len(features), missing_share=0.05)
recipe.check_against_library(args, "model.onnx", rows, model.predict(rows), output="variable")
