"""Record what flows through a PyTorch model, call by call.

    from pipeline.trace import trace

    with trace(model, ops=True) as t:
        model(x)
    t["encoder.lstm"].output_shape     # first call of a module; t["decoder.lstm", 3] for its fourth
    t["encoder.lstm"].sample           # the first example's values, in the tensor's own shape
    t.ops("softmax")                   # functional ops, with ops=True

A record keeps shapes, dtype, parameter count, a bounded sample of the first example and
statistics of the whole output -- never the tensors -- so a trace's memory does not grow with the
batch or with the number of forward passes: passes repeated inside one block merge into the first
pass's records (``passes`` counts them; a dimension that differs between passes becomes None).
"""

from pipeline.trace.capture import (
    SAMPLE_LIMIT,
    TraceError,
    TraceFault,
    operation_of,
    take_sample,
    trace,
    traced_forward,
)
from pipeline.trace.record import (
    Container,
    Record,
    RecordKey,
    RecordKind,
    Stats,
    Structure,
    TensorSpec,
    format_structure,
)
from pipeline.trace.result import Trace

__all__ = [
    "SAMPLE_LIMIT",
    "Container",
    "Record",
    "RecordKey",
    "RecordKind",
    "Stats",
    "Structure",
    "TensorSpec",
    "Trace",
    "TraceError",
    "TraceFault",
    "format_structure",
    "operation_of",
    "take_sample",
    "trace",
    "traced_forward",
]
