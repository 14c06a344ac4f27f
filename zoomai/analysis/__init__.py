"""Configurations, flows, exposure, retention, guarantees, audit, datamap."""
