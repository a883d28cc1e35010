"""The three hparams-plugin summaries (experiment, session start, session end), as PyTorch writes them."""
from ember.errors import ArgumentError

from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2


def _summary(tag, **data):
    content = plugin_data_pb2.HParamsPluginData(version=metadata.PLUGIN_DATA_VERSION, **data)
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=metadata.PLUGIN_NAME,
                                                                  content=content.SerializeToString()))
    return Summary(value=[Summary.Value(tag=tag, metadata=meta)])


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """(experiment, session start, session end) summaries for one run's hyperparameters and metrics."""
    if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
        raise ArgumentError("add_hparams: hparam_dict and metric_dict must be dicts")
    discrete = hparam_domain_discrete or {}
    start = plugin_data_pb2.SessionStartInfo()
    infos = []
    for k, v in hparam_dict.items():
        if isinstance(v, bool):
            start.hparams[k].bool_value, kind = v, "DATA_TYPE_BOOL"
        elif isinstance(v, (int, float)):
            start.hparams[k].number_value, kind = float(v), "DATA_TYPE_FLOAT64"
        elif isinstance(v, str):
            start.hparams[k].string_value, kind = v, "DATA_TYPE_STRING"
        elif v is None:
            start.hparams[k].string_value, kind = "None", "DATA_TYPE_STRING"
        else:
            raise ArgumentError(f"add_hparams: value of {k!r} is a {type(v).__name__}; use bool, int, float or str")
        info = api_pb2.HParamInfo(name=k, type=api_pb2.DataType.Value(kind))
        if k in discrete:
            info.domain_discrete.extend(discrete[k])
        infos.append(info)
    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=[
        api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict])
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))
    return (_summary(metadata.EXPERIMENT_TAG, experiment=experiment),
            _summary(metadata.SESSION_START_INFO_TAG, session_start_info=start),
            _summary(metadata.SESSION_END_INFO_TAG, session_end_info=end))
