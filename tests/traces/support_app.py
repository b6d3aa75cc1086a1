"""A small support app nobody here wrote the parts of: the `openai` SDK, instrumented by
OpenTelemetry's openai-v2 or by OpenInference, exporting with the real OTLP/HTTP exporter.

    python support_app.py BASE_URL genai|genai-events|openinference < questions.jsonl

`genai-events`: the openai-v2 instrumentation's own default for content, log events exported
with the OTLP log exporter beside the spans.

Each stdin line is {"route": ..., "text": ...}; each is handled in a span carrying
`app.route`, and asked as a system prompt plus the user's text. The exporter's endpoint
comes from OTEL_EXPORTER_OTLP_ENDPOINT, as in any deployment.
"""

import json
import sys

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

SYSTEM = "Answer the customer briefly."


def main() -> None:
    base_url, instrumentation = sys.argv[1:3]
    provider = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    logs = None
    if instrumentation == "genai-events":
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

        logs = LoggerProvider(resource=provider.resource)
        logs.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
        OpenAIInstrumentor().instrument(tracer_provider=provider, logger_provider=logs)
    elif instrumentation == "genai":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
    else:
        from openinference.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="sk-test-not-a-key")
    tracer = provider.get_tracer("support-bot")
    for line in sys.stdin:
        question = json.loads(line)
        with tracer.start_as_current_span("handle", attributes={"app.route": question["route"]}):
            reply = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": question["text"]},
                ],
            )
        print(json.dumps({"text": question["text"], "reply": reply.choices[0].message.content}))
    provider.shutdown()  # flushes every span before exiting
    if logs is not None:
        logs.shutdown()


if __name__ == "__main__":
    main()
