import { Logger } from '@nestjs/common';
import { metrics, trace } from '@opentelemetry/api';
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * With `CHAT_OTEL_CONSOLE=1`, registers a small OpenTelemetry SDK that prints every span to the
 * console as it ends, and the metrics every 10 seconds. The chat memory module is always given
 * `openTelemetry()` (see app.module.ts): with no SDK registered, the spans it makes go nowhere. A
 * real deployment registers its own SDK (OTLP exporter, sampling) here instead.
 *
 * Call it before the app is created.
 */
export function startConsoleTelemetry(env: NodeJS.ProcessEnv = process.env): void {
  if (env.CHAT_OTEL_CONSOLE !== '1') return;
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
  });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis: 10_000,
      }),
    ],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  new Logger('ChatApp').log('OpenTelemetry: printing spans and metrics to the console');
}
