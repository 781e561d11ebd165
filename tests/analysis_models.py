""".arch texts for tests/test_analysis.py: PyTorch twins of Keras examples (so the counters,
which only run PyTorch, can price the Keras layouts) and a ResNet-50 in TF-slim's layout."""

# examples/vgg16.arch in PyTorch's layout: the same convolutions, pools and dense layers, a ReLU
# module after each convolution and hidden dense layer, Softmax on the output.
VGG16_TORCH = """
network vgg16_torch
convention torch
sizes H, W, classes=1000

block VGGBlock(cin, cout, convs=2):
    Conv2d(cin, cout, 3, padding=1)
    ReLU()
    Conv2d(cout, cout, 3, padding=1)
    ReLU()
    if convs == 3:
        Conv2d(cout, cout, 3, padding=1)
        ReLU()
    MaxPool2d(2, 2)

input (3, H, W)
VGGBlock(3, 64)
VGGBlock(64, 128)
VGGBlock(128, 256, 3)
VGGBlock(256, 512, 3)
VGGBlock(512, 512, 3)
Flatten()
Linear(512 * (H // 32) * (W // 32), 4096)
ReLU()
Linear(4096, 4096)
ReLU()
Linear(4096, classes)
Softmax(dim=1)
"""

# examples/mnist_cnn.arch in PyTorch's layout (channels first; Flatten order differs, not the
# arithmetic).
MNIST_TORCH = """
network mnist_torch
convention torch
sizes H, W, C=1, classes=10
input (C, H, W)
Conv2d(C, 32, 3)
ReLU()
MaxPool2d(2)
Conv2d(32, 64, 3)
ReLU()
MaxPool2d(2)
Flatten()
Dropout(0.5)
Linear(64 * (((H - 2) // 2 - 2) // 2) * (((W - 2) // 2 - 2) // 2), classes)
Softmax(dim=1)
"""

# ResNet-50 as TF-slim's resnet_v1_50 builds it (the network of the receptive-field table in
# Araujo et al., Distill 2019): each of the first three stages strides in the 3×3 convolution of
# its LAST unit (torchvision, examples/resnet50.arch, strides in the first unit of stages 2-4).
RESNET50_SLIM = """
network resnet50_slim
convention torch
sizes H, W

block Bottleneck(cin, planes, stride=1, project=False):
    input x
    Conv2d(cin, planes, 1, bias=False)
    ReLU()
    Conv2d(planes, planes, 3, stride, 1, bias=False)
    ReLU()
    y = Conv2d(planes, 4 * planes, 1, bias=False)
    s = x
    if project:
        s = Conv2d(cin, 4 * planes, 1, stride, bias=False)(x)
    if stride == 2 and not project:
        s = MaxPool2d(1, stride)(x)
    ReLU()(y + s)

input (3, H, W)
Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
ReLU()
MaxPool2d(3, stride=2, padding=1)
Bottleneck(64, 64, project=True)
Bottleneck(256, 64)
Bottleneck(256, 64, 2)
Bottleneck(256, 128, project=True)
repeat 2:
    Bottleneck(512, 128)
Bottleneck(512, 128, 2)
Bottleneck(512, 256, project=True)
repeat 4:
    Bottleneck(1024, 256)
Bottleneck(1024, 256, 2)
Bottleneck(1024, 512, project=True)
repeat 2:
    Bottleneck(2048, 512)
"""
