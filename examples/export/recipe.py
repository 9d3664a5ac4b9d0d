"""What every export recipe in this folder shares: its command line, Numerai-shaped training data, the model
folder with its model.yml, and the check of the ONNX file against the library's own predictions.

The data: with --features-json, the feature sets of that file (Numerai's own `v5.2/features.json`, or the
sandbox's); without it, a synthetic set of Numerai-style names. The rows are integers 0..4 in Numerai's
5/20/50/20/5 % bin shares, with a target that depends on a few features, binned like Numerai's 0, 0.25, .., 1.
In your own script, `train[features].to_numpy()` of Numerai's training parquet takes the place of
`training_data()`.

The check: onnxruntime for Python is not needed. The recipe writes the rows it fed its model and the library's
predictions to a reference file, and `compare.mjs` (next to this file) runs the ONNX file on the same rows with
onnxruntime-node, the runtime the action uses, and prints the largest difference.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# Share of each value 0..4 in Numerai's quantile-binned features.
BIN_SHARES = [0.05, 0.20, 0.50, 0.20, 0.05]


def parse_args(name, about):
    parser = argparse.ArgumentParser(description=about)
    parser.add_argument("--models-dir", default="models", help="where the model folder is created (default: models)")
    parser.add_argument("--name", default=name, help=f"the model folder, i.e. the Numerai model name (default: {name})")
    parser.add_argument("--features-json", help="a features.json whose feature sets to train on (default: synthetic names)")
    parser.add_argument("--reference", help="where to write the rows and the library's predictions for the check "
                                            "(default: a file in the system temp folder)")
    args = parser.parse_args()
    args.folder = os.path.join(args.models_dir, args.name)
    os.makedirs(args.folder, exist_ok=True)
    if not args.reference:
        args.reference = os.path.join(tempfile.gettempdir(), f"numerai-export-{args.name}.json")
    return args


def feature_sets(features_json):
    """The feature sets of a features.json, or synthetic ones: 60 names, `small` the first 42 of them."""
    if features_json:
        with open(features_json) as handle:
            return json.load(handle)["feature_sets"]
    names = [f"feature_synthetic_{i:04d}" for i in range(60)]
    return {"small": names[:42], "all": names}


def training_data(width, rows=2000, seed=52):
    """Integer bins 0..4 as float32 (the type the ONNX input declares), and a Numerai-like target."""
    rng = np.random.default_rng(seed)
    x = rng.choice(5, size=(rows, width), p=BIN_SHARES).astype(np.float32)
    informative = rng.choice(width, size=min(8, width), replace=False)
    centred = x[:, informative] - 2.0
    signal = centred @ rng.normal(0.0, 1.0, size=informative.size) + 0.5 * centred[:, 0] * centred[:, 1]
    score = signal + rng.normal(0.0, 0.5 * signal.std(), size=signal.size)
    edges = np.quantile(score, np.cumsum(BIN_SHARES)[:-1])
    return x, np.searchsorted(edges, score).astype(np.float64) / 4.0


def check_rows(width, rows=300, missing_share=0.0, seed=7):
    """Rows the model has not seen, with a share of missing values (NaN) for models that route them."""
    rng = np.random.default_rng(seed)
    x = rng.choice(5, size=(rows, width), p=BIN_SHARES).astype(np.float32)
    if missing_share:
        x[rng.random(x.shape) < missing_share] = np.nan
    return x


def write_model_yml(args, text):
    path = os.path.join(args.folder, "model.yml")
    with open(path, "w") as handle:
        handle.write(text)
    print(f"wrote {path}")


def check_against_library(args, onnx_file, rows, library_predictions, output, column=None, tolerance=1e-5):
    """Writes the reference file and runs compare.mjs on it; exits with its status (1: too far apart)."""
    reference = {
        "model": args.name,
        "onnx": os.path.abspath(os.path.join(args.folder, onnx_file)),
        "output": output,
        "column": column,
        "tolerance": tolerance,
        "rows": [[None if np.isnan(v) else float(v) for v in row] for row in np.asarray(rows, dtype=np.float32)],
        "library": [float(v) for v in np.asarray(library_predictions, dtype=np.float64).ravel()],
    }
    with open(args.reference, "w") as handle:
        json.dump(reference, handle)
    print(f"wrote {os.path.join(args.folder, onnx_file)}; the rows and {len(reference['library'])} library predictions "
          f"for the check: {args.reference}")
    node = shutil.which("node")
    if node is None:
        print(f"node is not on PATH: check the file with `node {os.path.join(HERE, 'compare.mjs')} {args.reference}`",
              file=sys.stderr)
        sys.exit(1)
    sys.exit(subprocess.run([node, os.path.join(HERE, "compare.mjs"), args.reference]).returncode)
