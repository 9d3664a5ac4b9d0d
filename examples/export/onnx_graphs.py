"""ONNX graphs for XGBoost and scikit-learn linear models, built with onnx.helper, without a converter.

onnxmltools and skl2onnx are the usual converters (see docs/export.md), but they are not packaged for every
system (Debian has neither). These functions write the same graphs, node for node, in the shapes those converters
emit, so a file exported here is what a converter would give:
  - regressors: input `float_input` float32 [None, F] -> output `variable` float32 [None, 1]
  - onnxmltools' XGBoost classifier: outputs `label` int64 [None] and `probabilities` float32 [None, C]
  - skl2onnx's LogisticRegression: outputs `output_label` int64 [None] and `output_probability`, either float32
    [None, C] (options={"zipmap": False}) or, by default, a ZipMap: seq(map(int64, float)), which onnxruntime-node
    cannot return.

Needs numpy, onnx (1.12 or newer), and the model's library. Used by the recipes in this folder and by
scripts/fixtures/train_models.py.
"""

import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

# ai.onnx 15 with ai.onnx.ml 3: what the converters emit for current runtimes; TreeEnsembleRegressor and
# TreeEnsembleClassifier exist up to ai.onnx.ml 4 (removed in 5).
OPSETS = [helper.make_opsetid("", 15), helper.make_opsetid("ai.onnx.ml", 3)]

PRODUCER = "numerai-autopilot"




def save_model(graph, path, doc, producer=PRODUCER):
    model = helper.make_model(graph, opset_imports=OPSETS, producer_name=producer)
    model.doc_string = doc
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(model.SerializeToString())
    return path


def xgboost_base_score(model):
    config = json.loads(model.get_booster().save_config())
    return float(config["learner"]["learner_model_param"]["base_score"])


def xgboost_tree_attributes(model, classifier):
    """The TreeEnsemble* attributes onnxmltools' XGBoost converter fills from `get_dump(dump_format="json")`:
    node ids renumbered in pre-order per tree, `split_condition` as a BRANCH_LT threshold on feature `f<i>`,
    `missing == yes` as nodes_missing_value_tracks_true, one target/class weight per leaf."""
    prefix = "class" if classifier else "target"
    attrs = {k: [] for k in (
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
        "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
        f"{prefix}_treeids", f"{prefix}_nodeids", f"{prefix}_ids", f"{prefix}_weights")}
    dumps = model.get_booster().get_dump(with_stats=True, dump_format="json")
    for tree_id, text in enumerate(dumps):
        root = json.loads(text)
        remap = {}

        def number(node):
            remap.setdefault(node["nodeid"], len(remap))
            for child in node.get("children", []):
                number(child)

        def emit(node):
            node_id = remap[node["nodeid"]]
            attrs["nodes_treeids"].append(tree_id)
            attrs["nodes_nodeids"].append(node_id)
            if "children" in node:
                attrs["nodes_featureids"].append(int(node["split"][1:]))
                attrs["nodes_modes"].append("BRANCH_LT")
                attrs["nodes_values"].append(float(node["split_condition"]))
                attrs["nodes_truenodeids"].append(remap[node["yes"]])
                attrs["nodes_falsenodeids"].append(remap[node["no"]])
                attrs["nodes_missing_value_tracks_true"].append(int(node.get("missing", -1) == node["yes"]))
                for child in node["children"]:
                    emit(child)
            else:
                attrs["nodes_featureids"].append(0)
                attrs["nodes_modes"].append("LEAF")
                attrs["nodes_values"].append(0.0)
                attrs["nodes_truenodeids"].append(0)
                attrs["nodes_falsenodeids"].append(0)
                attrs["nodes_missing_value_tracks_true"].append(0)
                attrs[f"{prefix}_treeids"].append(tree_id)
                attrs[f"{prefix}_nodeids"].append(node_id)
                attrs[f"{prefix}_ids"].append(0)
                attrs[f"{prefix}_weights"].append(float(node["leaf"]))

        number(root)
        emit(root)
    return attrs


def export_xgboost_regressor(model, width, path, input_name="float_input", producer=PRODUCER):
    """onnxmltools.convert_xgboost(XGBRegressor, initial_types=[(input_name, FloatTensorType([None, F]))])."""
    attrs = xgboost_tree_attributes(model, classifier=False)
    node = helper.make_node(
        "TreeEnsembleRegressor", [input_name], ["variable"], domain="ai.onnx.ml", name="TreeEnsembleRegressor",
        n_targets=1, post_transform="NONE", base_values=[xgboost_base_score(model)], **attrs)
    graph = helper.make_graph(
        [node], "xgboost_regressor",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    return save_model(graph, path, f"XGBRegressor, {model.n_estimators} trees, {width} features", producer)


def export_xgboost_binary_classifier(model, width, path, input_name="float_input", producer=PRODUCER):
    """onnxmltools.convert_xgboost(XGBClassifier(objective='binary:logistic')): one score per tree on class id 0,
    LOGISTIC post-transform, outputs `label` int64 [N] and `probabilities` float32 [N, 2]."""
    attrs = xgboost_tree_attributes(model, classifier=True)
    base_score = xgboost_base_score(model)
    extra = {}
    if base_score != 0.5:
        extra["base_values"] = [float(-np.log(1 / np.float32(base_score) - 1.0))]
    node = helper.make_node(
        "TreeEnsembleClassifier", [input_name], ["label", "probabilities"], domain="ai.onnx.ml",
        name="TreeEnsembleClassifier", post_transform="LOGISTIC",
        classlabels_int64s=[int(c) for c in model.classes_], **attrs, **extra)
    graph = helper.make_graph(
        [node], "xgboost_classifier",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])])
    return save_model(graph, path, f"XGBClassifier (binary:logistic), {model.n_estimators} trees, {width} features", producer)


def export_linear_regressor(model, width, path, input_type=TensorProto.FLOAT, input_name="float_input", batch=None, producer=PRODUCER):
    """skl2onnx.convert_sklearn(Ridge): a LinearRegressor node on float input; MatMul + Add + Reshape in double for
    DoubleTensorType input. An int8 input (what skl2onnx's DataFrame path declares for int8 columns) is cast to
    float first; an int32 input the same way (used to test the unsupported-dtype message). `batch` fixes the
    batch dimension, as torch.onnx.export does without dynamic axes."""
    coef = model.coef_.astype(np.float64).ravel()
    intercept = float(np.asarray(model.intercept_).ravel()[0])
    inputs = [helper.make_tensor_value_info(input_name, input_type, [batch, width])]
    if input_type == TensorProto.DOUBLE:
        initializers = [
            helper.make_tensor("coef", TensorProto.DOUBLE, [width, 1], coef.tolist()),
            helper.make_tensor("intercept", TensorProto.DOUBLE, [1], [intercept]),
            helper.make_tensor("shape_tensor", TensorProto.INT64, [2], [-1, 1]),
        ]
        nodes = [
            helper.make_node("MatMul", [input_name, "coef"], ["multiplied"], name="MatMul"),
            helper.make_node("Add", ["multiplied", "intercept"], ["resh"], name="Add"),
            helper.make_node("Reshape", ["resh", "shape_tensor"], ["variable"], name="Reshape"),
        ]
        output = helper.make_tensor_value_info("variable", TensorProto.DOUBLE, [None, 1])
    else:
        initializers, nodes, source = [], [], input_name
        if input_type != TensorProto.FLOAT:
            nodes.append(helper.make_node("Cast", [input_name], ["cast_input"], name="Cast", to=TensorProto.FLOAT))
            source = "cast_input"
        nodes.append(helper.make_node(
            "LinearRegressor", [source], ["variable"], domain="ai.onnx.ml", name="LinearRegressor",
            coefficients=coef.astype(np.float32).tolist(), intercepts=[float(np.float32(intercept))]))
        output = helper.make_tensor_value_info("variable", TensorProto.FLOAT, [batch, 1])
    graph = helper.make_graph(nodes, "linear_regressor", inputs, [output], initializer=initializers)
    return save_model(graph, path, f"{type(model).__name__}, {width} features, input {TensorProto.DataType.Name(input_type)}", producer)


def export_logistic_regression(model, width, path, zipmap, producer=PRODUCER):
    """skl2onnx.convert_sklearn(LogisticRegression) for two classes: LinearClassifier with coefficients
    [-w, w] and LOGISTIC post-transform; label cast to int64 `output_label`; probabilities either kept as the
    float32 [N, 2] tensor `output_probability` (zipmap=False) or turned into a ZipMap (the default)."""
    coef = model.coef_.astype(np.float64).ravel()
    intercept = model.intercept_.astype(np.float64).ravel()
    classes = [int(c) for c in model.classes_]
    nodes = [
        helper.make_node(
            "LinearClassifier", ["float_input"], ["label", "probability_tensor"], domain="ai.onnx.ml",
            name="LinearClassifier", coefficients=np.concatenate([-coef, coef]).tolist(),
            intercepts=np.concatenate([-intercept, intercept]).tolist(), multi_class=0,
            post_transform="LOGISTIC", classlabels_ints=classes),
        helper.make_node("Normalizer", ["probability_tensor"], ["probabilities"], domain="ai.onnx.ml",
                         name="Normalizer", norm="L1"),
        helper.make_node("Cast", ["label"], ["output_label"], name="Cast", to=TensorProto.INT64),
    ]
    outputs = [helper.make_tensor_value_info("output_label", TensorProto.INT64, [None])]
    if zipmap:
        nodes.append(helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml",
                                      name="ZipMap", classlabels_int64s=classes))
        value = onnx.TypeProto()
        value.map_type.key_type = TensorProto.INT64
        value.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
        outputs.append(helper.make_value_info("output_probability", helper.make_sequence_type_proto(value)))
    else:
        nodes.append(helper.make_node("Identity", ["probabilities"], ["output_probability"], name="Identity"))
        outputs.append(helper.make_tensor_value_info("output_probability", TensorProto.FLOAT, [None, len(classes)]))
    graph = helper.make_graph(
        nodes, "logistic_regression",
        [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, width])], outputs)
    kind = "ZipMap" if zipmap else "zipmap=False"
    return save_model(graph, path, f"LogisticRegression, {width} features, {kind}", producer)
