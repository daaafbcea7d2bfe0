import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Vigil's Prometheus metrics, in a registry of their own (tests create several apps in one process). */
export class VigilMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'vigil_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly eventsAppended = new Counter({
    name: 'vigil_events_appended_total',
    help: 'Events appended to the event store',
    registers: [this.registry],
  });
  readonly ingestBatchDeliveries = new Histogram({
    name: 'vigil_ingest_batch_deliveries',
    help: 'Alert deliveries taken together in one ingestion transaction (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly ingestBatchDuration = new Histogram({
    name: 'vigil_ingest_batch_duration_seconds',
    help: 'How long each ingestion transaction ran, from its first statement to commit',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly ingestBatchesBehind = new Counter({
    name: 'vigil_ingest_batches_behind_total',
    help: 'Ingestion batches sent behind one still committing, on the same pipelined connection',
    registers: [this.registry],
  });
  readonly ingestBatchRetries = new Counter({
    name: 'vigil_ingest_batch_retries_total',
    help: 'Ingestion batches tried again: a lost race, a wrong guess, or a lost connection',
    registers: [this.registry],
  });
  readonly ingestKnownPayloads = new Counter({
    name: 'vigil_ingest_known_payloads_total',
    help:
      'Deliveries answered from memory as payloads this process saw committed, by how they were known ' +
      '(bytes: the same bytes, before parsing; receipt: the same content, after)',
    labelNames: ['by'] as const,
    registers: [this.registry],
  });
  readonly escalationSteps = new Counter({
    name: 'vigil_escalation_steps_total',
    help: 'Escalation steps fired, by what fired them (timer, manual, auditor)',
    labelNames: ['trigger'] as const,
    registers: [this.registry],
  });
  readonly escalationLateness = new Histogram({
    name: 'vigil_escalation_step_lateness_seconds',
    help: 'How long after its due time an escalation step fired (timer and auditor steps)',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });
  readonly escalationAuditRepairs = new Counter({
    name: 'vigil_escalation_audit_repairs_total',
    help: 'Escalations the auditor found stalled and advanced (overdue-timer, missing-timer, starter-lag)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly subscriptionLag: Gauge<'subscription'>;
  /**
   * Seconds the main thread's event loop spent on work rather than waiting for I/O, since the
   * process started. Its rate is the loop's utilization: near 1, requests and answers from the
   * database queue behind one another, whatever the CPU of the machine as a whole.
   */
  readonly eventLoopBusy: Counter;

  constructor(lag: () => Promise<Array<{ name: string; events: number }>>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'vigil_' });
    let counted = 0;
    this.eventLoopBusy = new Counter({
      name: 'vigil_event_loop_busy_seconds_total',
      help: "Time the main thread's event loop spent busy (not waiting for I/O); its rate is the loop's utilization",
      registers: [this.registry],
      collect() {
        const busy = performance.eventLoopUtilization().active / 1000;
        if (busy <= counted) return;
        this.inc(busy - counted);
        counted = busy;
      },
    });
    this.subscriptionLag = new Gauge({
      name: 'vigil_subscription_lag_events',
      help: 'Events committed to the log but not yet applied, per subscription',
      labelNames: ['subscription'] as const,
      registers: [this.registry],
      async collect() {
        for (const { name, events } of await lag()) this.set({ subscription: name }, events);
      },
    });
  }
}
