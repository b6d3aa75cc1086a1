"""Production traffic in: OTLP spans and request logs become `ProductionRecord`s.

`spans` reads an OTLP export (JSON or protobuf) into plain spans, `conventions` finds the
model calls among them (OpenTelemetry GenAI and OpenInference attributes), `request_log`
reads OpenAI request/response logs, `receiver` is `fieldeval collect`'s OTLP/HTTP server.
"""
