"""zoomai: what Zoom AI Companion does with an organisation's content, where, and for how long."""

from zoomai.errors import DataError, ZoomaiError
from zoomai.matrix import load_feature_matrix
from zoomai.policy import load_policy
from zoomai.taxonomy import load_data_categories

__all__ = ["DataError", "ZoomaiError", "load_data_categories", "load_feature_matrix", "load_policy"]
