import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Pool } from 'pg';
import { PG_POOL, ProblemError, RequireScope, validationProblem } from '#vigil/common';
import { groupingRuleErrors } from '../domain/grouping.js';
import { matcherProblem } from '../domain/silences.js';
import { BacktestTooLarge, runBacktest, type BacktestRequest } from '../backtest/backtest-log.js';
import { BacktestDto, MAX_BACKTEST_DAYS } from './backtests.dto.js';

const MAX_RUNNING = 1;

const DESCRIPTION = `
Replays the alerts received in [from, to) — every alert fact is in the event log — through a proposed rule
set (grouping and its window, silences, flapping, auto-resolve) in memory, with the same decision ingestion
uses, and answers next to what really happened: incidents that would have opened, pages that would have been
sent, and the alert-fatigue ratio, with the noisiest rules on each side and the first proposed incidents.
Rules left out stay as they are configured now. Nothing is stored.

Definitions (also in each answer's \`definitions\`): a page is an incident opened by alerts, or reopened
(there is no escalation yet). "Actionable" is the alert-fatigue projection's judgement (a person acted on
the incident); a proposed incident is actionable when any of its alerts went, in reality, to an incident a
person acted on. A proposed incident closes when its alerts resolve or when people closed every real incident
its alerts went to.

What the replay cannot see:
- Deliveries that appended nothing (a byte-identical resend, an Alertmanager group re-sent with the same
  facts, a resolve for an alert that was not firing) are not in the log. They would change nothing under any
  rule, with one exception: an alert held back for flapping has its resolution dropped, so a looser flapping
  rule sees it fire but not resolve and can under-count incidents.
- A silenced alert's fact does not record its source's group; it takes its stream's.
- Rules left out are today's configuration (grouping rules, integrations' auto-resolve), not the ones in force
  at the time; recorded silences are replayed over their start and end, not from when they were created.
- Alerts that began before the warm-up are skipped on both sides (counted in alerts.carriedOver).

A range holding more than 200,000 facts is refused with 422: narrow it, or name a service. A server runs one
backtest at a time; another asked meanwhile is answered 429.
`.trim();

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('v1/backtests')
export class BacktestsController {
  /** Backtests running in this process: each may hold a few hundred MB and a connection for seconds. */
  private running = 0;

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  @Post()
  @HttpCode(200)
  @RequireScope('incidents:read')
  @ApiOperation({
    summary:
      'Backtest proposed alert rules against the alerts of a past range: what would have opened and paged',
    description: DESCRIPTION,
  })
  async run(@Body() body: BacktestDto) {
    const request = requestOf(body);
    if (this.running >= MAX_RUNNING) {
      throw new ProblemError(
        429,
        'backtest-busy',
        'Another backtest is running',
        'This server runs one backtest at a time; try again when it has answered',
      );
    }
    this.running++;
    try {
      return await runBacktest(this.pool, request);
    } catch (error) {
      if (error instanceof BacktestTooLarge) {
        throw new ProblemError(
          422,
          'backtest-too-large',
          'Backtest range too large',
          `The range holds more than ${error.limit} alert facts: narrow it, or name a service`,
          { limit: error.limit },
        );
      }
      throw error;
    } finally {
      this.running--;
    }
  }
}

/** Checks what the DTO cannot (every problem at once) and turns the body into a request. */
const requestOf = (body: BacktestDto): BacktestRequest => {
  const errors: Array<{ field: string; message: string }> = [];
  const from = new Date(body.from).toISOString();
  const to = new Date(body.to).toISOString();
  if (Date.parse(to) <= Date.parse(from)) errors.push({ field: 'to', message: 'to must be after from' });
  else if (Date.parse(to) - Date.parse(from) > MAX_BACKTEST_DAYS * 86_400_000)
    errors.push({ field: 'to', message: `the range must be at most ${MAX_BACKTEST_DAYS} days` });

  const rules = body.rules ?? {};
  const grouping =
    rules.grouping === undefined || rules.grouping === null
      ? rules.grouping
      : { groupBy: rules.grouping.groupBy, windowMinutes: rules.grouping.windowMinutes ?? null };
  if (grouping) {
    for (const e of groupingRuleErrors(grouping))
      errors.push({ field: `rules.grouping.${e.field}`, message: e.message });
  }
  const silences = (rules.silences ?? []).map((s, i) => {
    s.matchers.forEach((m, j) => {
      const problem = matcherProblem(m);
      if (problem) errors.push({ field: `rules.silences.${i}.matchers.${j}`, message: problem });
    });
    const startsAt = new Date(s.startsAt).toISOString();
    const endsAt = new Date(s.endsAt).toISOString();
    if (Date.parse(endsAt) <= Date.parse(startsAt))
      errors.push({ field: `rules.silences.${i}.endsAt`, message: 'endsAt must be after startsAt' });
    return {
      matchers: s.matchers.map(({ name, op, value }) => ({ name, op, value })),
      startsAt,
      endsAt,
      comment: s.comment ?? '',
    };
  });
  if (errors.length > 0) throw validationProblem(errors);

  return {
    from,
    to,
    warmupMinutes: body.warmupMinutes ?? 24 * 60,
    service: body.service ?? null,
    rules: {
      grouping,
      silences,
      recordedSilences: rules.recordedSilences ?? true,
      flapping:
        rules.flapping === undefined || rules.flapping === null
          ? rules.flapping
          : { maxFires: rules.flapping.maxFires, windowMinutes: rules.flapping.windowMinutes },
      autoResolve: rules.autoResolve,
    },
    incidentLimit: body.incidentLimit ?? 50,
    ruleLimit: body.ruleLimit ?? 10,
  };
};
