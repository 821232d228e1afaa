"""The official SDK's ``braintrust.dataset_pipeline`` module path: dataset pipelines
(see :func:`braintrust.DatasetPipeline`). Public re-exports only."""

from __future__ import annotations

from ._pipeline import (
    DatasetPipeline,
    DatasetPipelineDefinition,
    DatasetPipelineRow,
    DatasetPipelineScope,
    DatasetPipelineSource,
    DatasetPipelineTarget,
    DatasetPipelineTransform,
    DatasetPipelineTransformArgs,
    DatasetPipelineTransformResult,
)
from ._pipeline import (
    get_registered_dataset_pipelines as get_registered_dataset_pipelines,
)

__all__ = [
    "DatasetPipeline",
    "DatasetPipelineDefinition",
    "DatasetPipelineRow",
    "DatasetPipelineScope",
    "DatasetPipelineSource",
    "DatasetPipelineTarget",
    "DatasetPipelineTransform",
    "DatasetPipelineTransformArgs",
    "DatasetPipelineTransformResult",
]
