"""zoomai: what Zoom AI Companion does with an organisation's content, where, and for how long."""

from zoomai.configurations import apply_configuration, load_configurations
from zoomai.datamap import datamap
from zoomai.errors import DataError, ZoomaiError
from zoomai.flows import flows
from zoomai.guarantees import load_guarantees, option_guarantees
from zoomai.matrix import load_feature_matrix
from zoomai.policy import load_policy
from zoomai.settings import effective_settings
from zoomai.taxonomy import load_data_categories
from zoomai.tenants import load_tenant, load_tenants

__all__ = [
    "DataError",
    "ZoomaiError",
    "apply_configuration",
    "datamap",
    "effective_settings",
    "flows",
    "load_configurations",
    "load_data_categories",
    "load_feature_matrix",
    "load_guarantees",
    "load_policy",
    "load_tenant",
    "load_tenants",
    "option_guarantees",
]
