"""Tenant tables, simulation, import of Zoom API responses, effective settings."""
