#!/usr/bin/python3
"""Participant-sized XGBoost models for the benchmarks, and XGBoost's own predict as their reference.

  train   --out DIR --features-json FILE --name NAME --trees N --depth D --rows R --seed S [--min-child-weight W]
          [--leaf-wise L]
          trains an XGBRegressor on synthetic Numerai-shaped data over all features of features.json (with
          --leaf-wise, grown leaf by leaf to L leaves, as LightGBM grows trees; --depth 0 for no depth limit) and writes
          DIR/NAME/model.onnx (exported by scripts/fixtures/train_models.py's exporter, as onnxmltools does),
          DIR/NAME/model.ubj (the booster itself), DIR/NAME/model.yml and DIR/NAME/facts.json (trees, nodes, sizes).
  predict --model FILE.ubj --rows FILE.f32 --width F --repeats K --threads T --out PRED.f32
          times XGBoost's own predict on the float32 rows (row-major, F wide): one warm-up, then K timed calls;
          prints {"ms": [...], "threads": T, "version": ...} and writes the last predictions as float32.
  opset5  --input model.onnx --output model.opset5.onnx
          the same trees as ai.onnx.ml 5's TreeEnsemble operator (for comparing the two operators' speed).

Called by bench/models.bench.ts with Debian's python3-xgboost (apt-get install python3-xgboost python3-onnx).
The files go to the bench cache, never into the repository.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import xgboost

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "fixtures"))


def train(args):
    from train_models import export_xgboost_regressor, synthetic_features, synthetic_target

    with open(args.features_json) as handle:
        names = json.load(handle)["feature_sets"]["all"]
    rng = np.random.default_rng(args.seed)
    x = synthetic_features(rng, args.rows, len(names))
    y = synthetic_target(rng, x)
    # Numerai's example model: 2,000 trees, learning rate 0.01, depth 5 with at most 32 leaves, 10% of the
    # features per tree. Deeper trees (the large case) and leaf-wise ones keep the same sampling and learning rate.
    shape = (dict(grow_policy="lossguide", max_leaves=args.leaf_wise) if args.leaf_wise
             else dict(max_leaves=2 ** args.depth))
    model = xgboost.XGBRegressor(
        n_estimators=args.trees, max_depth=args.depth, learning_rate=0.01, colsample_bytree=0.1,
        min_child_weight=args.min_child_weight, tree_method="hist", n_jobs=os.cpu_count(), random_state=args.seed,
        **shape)
    start = time.time()
    model.fit(x, y)
    fit_seconds = time.time() - start
    folder = os.path.join(args.out, args.name)
    os.makedirs(folder, exist_ok=True)
    onnx_path = export_xgboost_regressor(model, len(names), os.path.join(folder, "model.onnx"))
    model.get_booster().save_model(os.path.join(folder, "model.ubj"))
    dumps = model.get_booster().get_dump(dump_format="json")
    nodes = sum(text.count('"nodeid"') for text in dumps)
    leaves = sum(text.count('"leaf"') for text in dumps)
    with open(os.path.join(folder, "model.yml"), "w") as handle:
        handle.write("dataset: v5.2\nfeatures: all\nonnx: model.onnx\noutput: variable\n")
    facts = {"trees": len(dumps), "depth": args.depth, "nodes": nodes, "leaves": leaves, "trainRows": args.rows,
             "features": len(names), "onnxBytes": os.path.getsize(onnx_path), "fitSeconds": round(fit_seconds, 1),
             "xgboost": xgboost.__version__}
    with open(os.path.join(folder, "facts.json"), "w") as handle:
        json.dump(facts, handle)
    print(json.dumps(facts))


def to_opset5(args):
    """Rewrites a TreeEnsembleRegressor (ai.onnx.ml 1-3) as ai.onnx.ml 5's TreeEnsemble: split nodes only in
    nodes_*, leaves in leaf_*, children addressed as node or leaf indexes (nodes_trueleafs/falseleafs)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(args.input)
    node = model.graph.node[0]
    assert node.op_type == "TreeEnsembleRegressor", node.op_type
    a = {attr.name: helper.get_attribute_value(attr) for attr in node.attribute}
    modes = [m.decode() for m in a["nodes_modes"]]
    key = list(zip(a["nodes_treeids"], a["nodes_nodeids"]))
    weights = {(t, n): w for t, n, w in zip(a["target_treeids"], a["target_nodeids"], a["target_weights"])}
    split_index, leaf_index = {}, {}
    for i, k in enumerate(key):
        (leaf_index if modes[i] == "LEAF" else split_index).setdefault(k, len(leaf_index if modes[i] == "LEAF" else split_index))
    code = {"BRANCH_LEQ": 0, "BRANCH_LT": 1, "BRANCH_GTE": 2, "BRANCH_GT": 3, "BRANCH_EQ": 4, "BRANCH_NEQ": 5}
    out = {k: [] for k in ("featureids", "splits", "modes", "true", "false", "trueleaf", "falseleaf", "missing")}
    roots = []
    leaf_weights = [0.0] * len(leaf_index)
    for k, i in leaf_index.items():
        leaf_weights[i] = weights.get(k, 0.0)
    for i, k in enumerate(key):
        tree, nid = k
        if nid == 0:
            if modes[i] == "LEAF":  # a one-leaf tree: a split whose both branches reach that leaf
                split_index[k] = len(out["featureids"])
                for name, value in (("featureids", 0), ("splits", 0.0), ("modes", 1), ("true", leaf_index[k]),
                                    ("false", leaf_index[k]), ("trueleaf", 1), ("falseleaf", 1), ("missing", 0)):
                    out[name].append(value)
            roots.append(split_index[k])
        if modes[i] == "LEAF":
            continue
        t, f = (tree, a["nodes_truenodeids"][i]), (tree, a["nodes_falsenodeids"][i])
        out["featureids"].append(a["nodes_featureids"][i])
        out["splits"].append(a["nodes_values"][i])
        out["modes"].append(code[modes[i]])
        out["trueleaf"].append(int(t in leaf_index))
        out["true"].append(leaf_index[t] if t in leaf_index else split_index[t])
        out["falseleaf"].append(int(f in leaf_index))
        out["false"].append(leaf_index[f] if f in leaf_index else split_index[f])
        out["missing"].append(a["nodes_missing_value_tracks_true"][i])
    base = a.get("base_values", [0.0])[0]
    ensemble = helper.make_node(
        "TreeEnsemble", [node.input[0]], ["scores"], domain="ai.onnx.ml", name="TreeEnsemble",
        aggregate_function=1, post_transform=0, n_targets=1, tree_roots=roots,
        nodes_featureids=out["featureids"],
        nodes_splits=numpy_helper.from_array(np.asarray(out["splits"], dtype=np.float32)),
        nodes_modes=numpy_helper.from_array(np.asarray(out["modes"], dtype=np.uint8)),
        nodes_truenodeids=out["true"], nodes_falsenodeids=out["false"],
        nodes_trueleafs=out["trueleaf"], nodes_falseleafs=out["falseleaf"],
        nodes_missing_value_tracks_true=out["missing"],
        leaf_targetids=[0] * len(leaf_weights),
        leaf_weights=numpy_helper.from_array(np.asarray(leaf_weights, dtype=np.float32)))
    # TreeEnsemble has no base value: added after, in float32 as the classic operator adds it.
    bias = helper.make_tensor("base_value", TensorProto.FLOAT, [1], [base])
    add = helper.make_node("Add", ["scores", "base_value"], [node.output[0]], name="AddBase")
    graph = helper.make_graph([ensemble, add], model.graph.name, list(model.graph.input), list(model.graph.output),
                              initializer=[bias])
    converted = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("ai.onnx.ml", 5)],
                                  producer_name=model.producer_name)
    converted.ir_version = 10
    onnx.save(converted, args.output)
    print(json.dumps({"splits": len(out["featureids"]), "leaves": len(leaf_weights), "bytes": os.path.getsize(args.output)}))


def predict(args):
    booster = xgboost.Booster()
    booster.load_model(args.model)
    booster.set_param({"nthread": args.threads})
    x = np.fromfile(args.rows, dtype=np.float32).reshape(-1, args.width)
    # inplace_predict is what XGBRegressor.predict uses for a numpy array; NaN is XGBoost's missing value.
    booster.inplace_predict(x)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        out = booster.inplace_predict(x)
        times.append((time.perf_counter() - start) * 1000)
    np.asarray(out, dtype=np.float32).tofile(args.out)
    print(json.dumps({"ms": times, "threads": args.threads, "version": xgboost.__version__}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--out", required=True)
    t.add_argument("--features-json", required=True)
    t.add_argument("--name", required=True)
    t.add_argument("--trees", type=int, required=True)
    t.add_argument("--depth", type=int, required=True)
    t.add_argument("--rows", type=int, required=True)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--min-child-weight", type=float, default=1.0)
    t.add_argument("--leaf-wise", type=int, default=0)
    p = sub.add_parser("predict")
    p.add_argument("--model", required=True)
    p.add_argument("--rows", required=True)
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--out", required=True)
    c = sub.add_parser("opset5")
    c.add_argument("--input", required=True)
    c.add_argument("--output", required=True)
    args = parser.parse_args()
    {"train": train, "predict": predict, "opset5": to_opset5}[args.command](args)


if __name__ == "__main__":
    main()
