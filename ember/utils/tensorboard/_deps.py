"""The `tensorboard` package (its protos and event-file writer), with an install hint when missing."""
try:
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
    from tensorboard.compat.proto import attr_value_pb2, graph_pb2, node_def_pb2, versions_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("ember.utils.tensorboard needs the `tensorboard` package: pip install 'ember[tensorboard]'") from e

__all__ = ["event_pb2", "summary_pb2", "tensor_pb2", "tensor_shape_pb2", "types_pb2", "attr_value_pb2",
           "graph_pb2", "node_def_pb2", "versions_pb2", "EventFileWriter"]
