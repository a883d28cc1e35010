"""Keras's layers on ember: built lazily at their first call, channels-last.

    >>> from ember import keras
    >>> keras.layers.Dense(10, activation="softmax")
    Dense(units=10, activation=softmax)
"""
from ember.keras.layers.base import Input, InputLayer, KerasTensor, Layer
from ember.keras.layers.core import Activation, Dense, Dropout, Flatten, Lambda, Masking, ModuleWrapper
from ember.keras.layers.conv import Conv1D, Conv2D, Conv2DTranspose
from ember.keras.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                        GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D,
                                        MaxPooling2D)
from ember.keras.layers.normalization import BatchNormalization, LayerNormalization
from ember.keras.layers.embedding import Embedding
from ember.keras.layers.recurrent import GRU, LSTM, SimpleRNN
from ember.keras.layers.wrappers import Bidirectional, TimeDistributed
from ember.keras.layers.attention import Attention, MultiHeadAttention
from ember.keras.layers.merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                      average, concatenate, dot, maximum, minimum, multiply, subtract)
from ember.keras.layers.reshaping import (Cropping1D, Cropping2D, Permute, RepeatVector, Reshape, UpSampling1D,
                                          UpSampling2D, ZeroPadding1D, ZeroPadding2D)
from ember.keras.layers.extra import (ActivityRegularization, GaussianDropout, GaussianNoise, Identity, PReLU,
                                      RMSNormalization, UnitNormalization)
from ember.keras.layers.activation import (ELU, LeakyReLU, ReLU, Rescaling, Softmax, SpatialDropout1D,
                                           SpatialDropout2D)

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
__all__ += ["ActivityRegularization", "GaussianDropout", "GaussianNoise", "Identity", "PReLU", "RMSNormalization",
            "UnitNormalization"]

# Keras's other names for the same layers
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
__all__ += ["Convolution1D", "Convolution2D", "Convolution2DTranspose", "MaxPool1D", "MaxPool2D", "AvgPool1D",
            "AvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D"]
