"""The networks dtrain trains, defined in Python with the same layers and parameter names
(trainer/cnn.cpp, trainer/resnet.cpp), plus the Fashion-MNIST reader. Used by the Python DDP
baseline (ddp_reference.py) and by the model.pt check (check_model_pt.py). Torch only."""

import gzip
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_MEAN = 0.2860
FASHION_STD = 0.3530


class Cnn(nn.Module):
    def __init__(self, in_channels=1, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.conv4 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn4 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(64 * 7 * 7, 128, bias=False)
        self.bn5 = nn.BatchNorm1d(128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        x = F.relu(self.bn2(self.conv2(x)), inplace=True)
        x = F.max_pool2d(x, 2)
        x = F.relu(self.bn3(self.conv3(x)), inplace=True)
        x = F.relu(self.bn4(self.conv4(x)), inplace=True)
        x = F.max_pool2d(x, 2)
        if x.shape[2] != 7 or x.shape[3] != 7:
            x = F.adaptive_avg_pool2d(x, (7, 7))
        x = F.relu(self.bn5(self.fc1(x.flatten(1))), inplace=True)
        return self.fc2(x)


class BasicBlock(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        out = out + (self.downsample(x) if self.downsample is not None else x)
        return F.relu(out, inplace=True)


class ResNet18(nn.Module):
    """torchvision's resnet18 layout; small inputs get a 3x3 stride-1 stem without max-pool."""

    def __init__(self, in_channels=3, num_classes=1000, small_input=False):
        super().__init__()
        self.small_input = small_input
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        inp = 64
        for i, width in enumerate([64, 128, 256, 512]):
            blocks = []
            for b in range(2):
                blocks.append(BasicBlock(inp, width, 2 if (i > 0 and b == 0) else 1))
                inp = width
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        if not self.small_input:
            x = F.max_pool2d(x, 3, 2, 1)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def make_network(arch, in_channels=1, num_classes=10, image_size=28):
    if arch == "cnn":
        return Cnn(in_channels, num_classes)
    if arch == "resnet18":
        return ResNet18(in_channels, num_classes, small_input=image_size < 64)
    raise ValueError(f"unknown arch {arch}")


def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    body = torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8)
    return body.reshape(dims)


def _find(data_dir, name):
    for candidate in (os.path.join(data_dir, name + ".gz"), os.path.join(data_dir, name)):
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"{name}(.gz) not in {data_dir}")


def load_fashion_mnist(data_dir, train, max_samples=0):
    """Normalised float images (N, 1, 28, 28) and int64 labels, as dtrain reads them."""
    prefix = "train" if train else "t10k"
    images = _read_idx(_find(data_dir, f"{prefix}-images-idx3-ubyte"))
    labels = _read_idx(_find(data_dir, f"{prefix}-labels-idx1-ubyte"))
    if max_samples:
        images, labels = images[:max_samples], labels[:max_samples]
    x = ((images.float() / 255.0) - FASHION_MEAN) / FASHION_STD
    return x.unsqueeze(1).contiguous(), labels.long()
