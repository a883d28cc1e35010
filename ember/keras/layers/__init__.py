"""Keras's layers on ember: built lazily at their first call, channels-last.

    >>> from ember import keras
    >>> keras.layers.Dense(10, activation="softmax")
    Dense(units=10, activation=softmax)
"""
from ember.keras.layers.base import Input, InputLayer, KerasTensor, Layer
from ember.keras.layers.core import Activation, Dense, Dropout, Flatten
from ember.keras.layers.conv import AveragePooling2D, Conv2D, MaxPooling2D

__all__ = ["Layer", "Input", "InputLayer", "KerasTensor", "Dense", "Activation", "Dropout", "Flatten", "Conv2D",
           "MaxPooling2D", "AveragePooling2D"]
