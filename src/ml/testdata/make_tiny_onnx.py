# Made src/ml/testdata/tiny_classifier.onnx once (with Debian's python3-torch
# 1.13.1); the unit test does not run it. Run from the repository root:
#   /usr/bin/python3 src/ml/testdata/make_tiny_onnx.py
#
# The model: input [N, 1, 2, 2] -> Conv2d(1, 1, 1x1, weight 2, bias 0) -> ReLU
# -> Flatten -> Linear(4, 3) -> Softmax, with fixed weights so the test can
# compute the expected probabilities by hand:
#   h = relu(2 * x) (flattened, row-major)
#   logits = [h0, h1 + 0.5, h2 + h3 - 0.5]
import torch

conv = torch.nn.Conv2d(1, 1, 1)
linear = torch.nn.Linear(4, 3)
with torch.no_grad():
    conv.weight.fill_(2.0)
    conv.bias.zero_()
    linear.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 1.0]]))
    linear.bias.copy_(torch.tensor([0.0, 0.5, -0.5]))
model = torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.Flatten(), linear,
                            torch.nn.Softmax(dim=1)).eval()
torch.onnx.export(model, torch.zeros(1, 1, 2, 2), "src/ml/testdata/tiny_classifier.onnx",
                  opset_version=11, input_names=["image"], output_names=["probabilities"],
                  dynamic_axes={"image": {0: "n"}, "probabilities": {0: "n"}})
