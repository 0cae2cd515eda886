"""Room telemetry in the cloud: ingest into InfluxDB 2 and the latest values, and alerts."""
