"""Keras's layers on ember: built lazily at their first call, channels-last.

    >>> from ember import keras
    >>> keras.layers.Dense(10, activation="softmax")
    Dense(units=10, activation=softmax)
"""
from ember.errors import ArgumentError
from ember.keras.layers.base import Input, InputLayer, KerasTensor, Layer
from ember.keras.layers._util import deserialize_layer, serialize_layer
from ember.keras.layers.core import Activation, Dense, Dropout, Flatten, Lambda, Masking, ModuleWrapper
from ember.keras.layers.conv import Conv1D, Conv2D, Conv2DTranspose
from ember.keras.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                        GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D,
                                        MaxPooling2D)
from ember.keras.layers.normalization import BatchNormalization, LayerNormalization
from ember.keras.layers.embedding import Embedding
from ember.keras.layers.recurrent import GRU, LSTM, SimpleRNN
from ember.keras.layers.wrappers import Bidirectional, TimeDistributed, Wrapper
from ember.keras.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from ember.keras.layers.merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                      average, concatenate, dot, maximum, minimum, multiply, subtract)
from ember.keras.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, Permute, RepeatVector, Reshape,
                                          UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D,
                                          ZeroPadding3D)
from ember.keras.layers.extra import (ActivityRegularization, GaussianDropout, GaussianNoise, Identity, PReLU,
                                      RMSNormalization, UnitNormalization)
from ember.keras.layers.activation import (ELU, LeakyReLU, ReLU, Rescaling, Softmax, SpatialDropout1D,
                                           SpatialDropout2D, SpatialDropout3D)
from ember.keras.layers.conv_more import (Conv1DTranspose, Conv3D, Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D,
                                          SeparableConv1D, SeparableConv2D)
from ember.keras.layers.pooling_more import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,
                                             AdaptiveAveragePooling3D, AdaptiveMaxPooling1D, AdaptiveMaxPooling2D,
                                             AdaptiveMaxPooling3D, AveragePooling3D, GlobalAveragePooling3D,
                                             GlobalMaxPooling3D, MaxPooling3D)
from ember.keras.layers.extra_more import AlphaDropout, EinsumDense, GroupNormalization
from ember.keras.layers.augment import (AutoContrast, MixUp, RandomBrightness, RandomColorDegeneration,
                                        RandomContrast, RandomFlip, RandomGrayscale, RandomInvert, RandomPosterization,
                                        Solarization)
from ember.keras.layers.augment import RandomSharpness
from ember.keras.layers.augment_filters import Equalization, RandomGaussianBlur
from ember.keras.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from ember.keras.layers.attention_more import GroupQueryAttention
from ember.keras.layers.normalization_more import SpectralNormalization
from ember.keras.layers.augment_color import RandomColorJitter, RandomHue, RandomSaturation
from ember.keras.layers.augment_mix import CutMix, RandomErasing
from ember.keras.layers.augment_more import ContrastLimitedAdaptiveHistogramEqualization, MaxNumBoundingBoxes
from ember.keras.layers.augment_warp import RandomElasticTransform, RandomPerspective
from ember.keras.layers.augment_policies import AugMix, RandAugment
from ember.keras.layers.augment_affine import RandomCrop, RandomRotation, RandomShear, RandomTranslation, RandomZoom
from ember.keras.layers.cells import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from ember.keras.layers.input_spec import InputSpec
from ember.keras.layers.misc import ReversibleEmbedding, TorchModuleWrapper
from ember.keras.layers.preprocessing import (CategoryEncoding, CenterCrop, Discretization, Normalization, Pipeline,
                                              Resizing)

__all__ = ["Layer", "Input", "InputLayer", "KerasTensor", "Dense", "Activation", "Dropout", "Flatten", "Lambda", "ModuleWrapper", "Masking",
           "Conv1D",
           "Conv2D", "Conv2DTranspose", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "BatchNormalization", "LayerNormalization", "Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional",
           "TimeDistributed", "MultiHeadAttention", "Attention", "Add", "Subtract", "Multiply", "Average", "Maximum",
           "Minimum", "Concatenate", "Dot", "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot", "Reshape", "Permute", "RepeatVector", "ZeroPadding1D", "ZeroPadding2D",
           "UpSampling1D", "UpSampling2D", "Cropping1D", "Cropping2D", "ReLU", "LeakyReLU", "ELU", "Softmax",
           "Rescaling", "SpatialDropout1D", "SpatialDropout2D"]
__all__ += ["Wrapper", "AdditiveAttention", "Cropping3D", "UpSampling3D", "ZeroPadding3D", "SpatialDropout3D",
            "Conv1DTranspose", "Conv3D", "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
            "SeparableConv2D", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
            "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "AveragePooling3D",
            "GlobalAveragePooling3D", "GlobalMaxPooling3D", "MaxPooling3D", "AlphaDropout", "EinsumDense",
            "GroupNormalization", "InputSpec", "ReversibleEmbedding", "TorchModuleWrapper", "CategoryEncoding",
            "CenterCrop", "Discretization", "Normalization", "Pipeline", "Resizing", "RNN", "GRUCell", "LSTMCell",
            "SimpleRNNCell", "StackedRNNCells", "AutoContrast", "MixUp", "RandomBrightness", "RandomColorDegeneration",
            "RandomContrast", "RandomFlip", "RandomGrayscale", "RandomInvert", "RandomPosterization", "Solarization",
            "RandomCrop", "RandomRotation", "RandomTranslation", "RandomZoom", "RandomSharpness", "RandomShear",
            "Equalization", "RandomGaussianBlur"]
__all__ += ["ActivityRegularization", "GaussianDropout", "GaussianNoise", "Identity", "PReLU", "RMSNormalization",
            "UnitNormalization"]

# Keras's other names for the same layers
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
__all__ += ["Convolution1D", "Convolution2D", "Convolution2DTranspose", "MaxPool1D", "MaxPool2D", "AvgPool1D",
            "AvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D"]
Convolution1DTranspose, Convolution3D, Convolution3DTranspose = Conv1DTranspose, Conv3D, Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
MaxPool3D, AvgPool3D, GlobalMaxPool3D, GlobalAvgPool3D = MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D, \
    GlobalAveragePooling3D
__all__ += ["Convolution1DTranspose", "Convolution3D", "Convolution3DTranspose", "SeparableConvolution1D",
            "SeparableConvolution2D", "MaxPool3D", "AvgPool3D", "GlobalMaxPool3D", "GlobalAvgPool3D"]


def serialize(layer):
    """{"class_name", "config"} of a layer, as `keras.layers.serialize`; read back by `deserialize`.

        >>> keras.layers.serialize(keras.layers.Dense(2))["class_name"]
        'Dense'
    """
    return {"module": "keras.layers", **serialize_layer(layer), "registered_name": None}


def deserialize(config, custom_objects=None):
    """A layer from `serialize`'s dict (Keras's own serialized layers included)."""
    if custom_objects:
        raise ArgumentError("layers.deserialize: custom_objects is not supported; define the class before reading")
    return deserialize_layer(config, "layers.deserialize")


__all__ += ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "GroupQueryAttention", "SpectralNormalization", "RandomHue",
            "RandomSaturation", "RandomColorJitter", "RandomErasing", "CutMix",
            "ContrastLimitedAdaptiveHistogramEqualization", "MaxNumBoundingBoxes", "RandomPerspective",
            "RandomElasticTransform", "RandAugment", "AugMix"]
__all__ += ["serialize", "deserialize"]
