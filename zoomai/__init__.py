"""zoomai: what Zoom AI Companion does with an organisation's content, where, and for how long."""

from zoomai.analysis.configurations import apply_configuration, load_configurations
from zoomai.analysis.datamap import datamap
from zoomai.analysis.flows import flows
from zoomai.analysis.guarantees import load_guarantees, option_guarantees
from zoomai.core.errors import DataError, ZoomaiError
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.policy import load_policy
from zoomai.facts.taxonomy import load_data_categories
from zoomai.tenants.effective import effective_settings
from zoomai.tenants.tables import load_tenant, load_tenants

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
