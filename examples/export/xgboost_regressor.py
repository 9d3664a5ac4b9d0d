#!/usr/bin/env python3
"""XGBoost regressor -> ONNX without a converter (onnx_graphs.py), run by CI.

    python3 examples/export/xgboost_regressor.py [--models-dir models] [--features-json v5.2/features.json]

Needs xgboost, numpy and onnx (Debian: python3-xgboost python3-onnx). With onnxmltools installed,
xgboost_onnxmltools.py does the same through the converter.
"""

import xgboost as xgb

import onnx_graphs
import recipe

args = recipe.parse_args("my_xgb", __doc__)
features = recipe.feature_sets(args.features_json)["small"]   # the order model.yml's `features: small` feeds
x, y = recipe.training_data(len(features))                    # yours: train[features].to_numpy(), train["target"]

# Train on a numpy array: the ONNX graph addresses features by position, in the order of `features`.
model = xgb.XGBRegressor(n_estimators=100, max_depth=4, learning_rate=0.1, colsample_bytree=0.5,
                         random_state=1)
model.fit(x, y)

onnx_graphs.export_xgboost_regressor(model, len(features), f"{args.folder}/model.onnx")
recipe.write_model_yml(args, """\
dataset: v5.2
features: small
onnx: model.onnx
# Trees route a missing feature value down the branch they learned: no fill_missing.
""")

# XGBoost sums its trees in double, ONNX in float32: expect differences around 1e-6. The rows include missing
# values, so the check also covers the trees' missing-value branches.
rows = recipe.check_rows(len(features), missing_share=0.05)
recipe.check_against_library(args, "model.onnx", rows, model.predict(rows), output="variable")
