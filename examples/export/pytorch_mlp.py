#!/usr/bin/env python3
"""PyTorch network -> ONNX with torch.onnx.export, run by CI.

    python3 examples/export/pytorch_mlp.py [--models-dir models] [--features-json v5.2/features.json]

Needs torch and numpy (Debian: python3-torch; written with torch 1.13, and the same calls work in torch 2.x).
"""

import torch

import recipe

args = recipe.parse_args("my_net", __doc__)
features = recipe.feature_sets(args.features_json)["small"]
x, y = recipe.training_data(len(features))


class Net(torch.nn.Module):
    """Takes the raw 0..4 feature values: the scaling the net was trained with is part of the exported graph."""

    def __init__(self, width):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(width, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1), torch.nn.Sigmoid())

    def forward(self, features):
        return self.layers((features - 2.0) / 2.0)


torch.manual_seed(0)
model = Net(len(features))
optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
inputs, targets = torch.from_numpy(x), torch.from_numpy(y).float().unsqueeze(1)
for _ in range(60):
    optimiser.zero_grad()
    loss = torch.nn.functional.mse_loss(model(inputs), targets)
    loss.backward()
    optimiser.step()
model.eval()

example = torch.zeros(1, len(features), dtype=torch.float32)
torch.onnx.export(
    model, (example,), f"{args.folder}/model.onnx",
    input_names=["input"], output_names=["output"],
    dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},   # leave the batch dimension open
    opset_version=17,
)
recipe.write_model_yml(args, """\
dataset: v5.2
features: small
onnx: model.onnx
# A net cannot take NaN: feed the middle bin where a live value is missing.
fill_missing: 2
""")

rows = recipe.check_rows(len(features))
with torch.no_grad():
    predictions = model(torch.from_numpy(rows)).numpy()
recipe.check_against_library(args, "model.onnx", rows, predictions, output="output")
