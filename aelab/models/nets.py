"""Encoder and decoder builders for the three architectures.

Each builder returns (encoder, decoder, feature_dim): the encoder maps x: (B, 1, H, W) to features (B, feature_dim)
that the bottleneck (model.py) turns into a code; the decoder maps a code (B, latent_dim) to pixel logits
(B, 1, H, W). Keeping the bottleneck out of here is what lets "variational" be a switch rather than a new class.
The MLP and linear nets also take points, x: (B, D) (config.input_kind "vector"): they read only
config.input_shape, config.n_inputs and config.decoder_input_dim, never the image size itself.
"""
from __future__ import annotations

import torch
from torch import nn

from aelab.models.config import ModelConfig


class Unflatten(nn.Module):
    def __init__(self, shape: tuple[int, ...]):
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], *self.shape)


def _mlp(sizes: list[int], final_activation: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if final_activation or i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def build_mlp(config: ModelConfig) -> tuple[nn.Module, nn.Module, int]:
    n_inputs, widths = config.n_inputs, list(config.hidden)
    encoder = nn.Sequential(nn.Flatten(), _mlp([n_inputs, *widths], final_activation=True))
    # Mirror without mutating the config: a new reversed list, never .reverse() on shared state.
    decoder = nn.Sequential(_mlp([config.decoder_input_dim, *reversed(widths), n_inputs], final_activation=False),
                            Unflatten(config.input_shape))
    return encoder, decoder, widths[-1] if widths else n_inputs


def _conv_sizes(side: int, n_layers: int) -> list[int]:
    """Side length after each stride-2, kernel-3, padding-1 conv: ceil(side / 2) each time."""
    sizes = [side]
    for _ in range(n_layers):
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


def build_conv(config: ModelConfig) -> tuple[nn.Module, nn.Module, int]:
    channels = [1, *config.hidden]
    heights = _conv_sizes(config.image_size[0], len(config.hidden))
    widths = _conv_sizes(config.image_size[1], len(config.hidden))
    encoder_layers: list[nn.Module] = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        encoder_layers += [nn.Conv2d(c_in, c_out, kernel_size=3, stride=2, padding=1), nn.ReLU()]
    feature_shape = (channels[-1], heights[-1], widths[-1])
    feature_dim = feature_shape[0] * feature_shape[1] * feature_shape[2]
    encoder = nn.Sequential(*encoder_layers, nn.Flatten())

    decoder_layers: list[nn.Module] = [nn.Linear(config.decoder_input_dim, feature_dim), nn.ReLU(),
                                       Unflatten(feature_shape)]
    n_layers = len(config.hidden)
    for i in range(n_layers, 0, -1):
        # output_padding restores the exact size the encoder saw, so odd sides (7 -> 4 -> 7) round-trip.
        target = (heights[i - 1], widths[i - 1])
        padding = (target[0] - (2 * heights[i] - 1), target[1] - (2 * widths[i] - 1))
        decoder_layers.append(nn.ConvTranspose2d(channels[i], channels[i - 1], kernel_size=3, stride=2, padding=1,
                                                 output_padding=padding))
        if i > 1:
            decoder_layers.append(nn.ReLU())
    return encoder, nn.Sequential(*decoder_layers), feature_dim


class TiedLinearDecoder(nn.Module):
    """x_hat = W^T z + b, sharing W with the encoder's linear map (the tied linear autoencoder)."""

    def __init__(self, encoder_linear: nn.Linear, input_shape: tuple[int, ...]):
        super().__init__()
        self.encoder_linear = [encoder_linear]  # a list so the shared weight is not registered (and saved) twice
        self.bias = nn.Parameter(torch.zeros(encoder_linear.in_features))
        self.input_shape = input_shape  # (1, H, W) for images, (D,) for points

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = z @ self.encoder_linear[0].weight + self.bias
        return x.view(z.shape[0], *self.input_shape)


def build_linear(config: ModelConfig) -> tuple[nn.Module, nn.Module, int]:
    """One linear map each way (the code squashed by a sigmoid if config.code_activation says so). The encoder
    produces the code directly, so feature_dim is 0 (no bottleneck layer)."""
    n_out = config.latent_dim * (2 if config.variational else 1)
    linear = nn.Linear(config.n_inputs, n_out)
    encoder = nn.Sequential(nn.Flatten(), linear, *([nn.Sigmoid()] if config.code_activation == "sigmoid" else []))
    if config.tied_weights:
        decoder: nn.Module = TiedLinearDecoder(linear, config.input_shape)
    else:
        decoder = nn.Sequential(nn.Linear(config.decoder_input_dim, config.n_inputs), Unflatten(config.input_shape))
    return encoder, decoder, 0


BUILDERS = {"mlp": build_mlp, "conv": build_conv, "linear": build_linear}
