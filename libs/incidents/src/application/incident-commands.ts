import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommandRunner } from '#vigil/event-store';
import type { IncidentCommand } from '../domain/commands.js';
import { IncidentError } from '../domain/errors.js';
import { incidentDecider, incidentStreamId } from './incident-decider.js';
import { toIncidentView, type IncidentView } from './incident-view.js';
import { IncidentReadModel } from '../read-models/incident-read-model.js';

export interface IncidentCommandOptions {
  /** If-Match: the version the client last saw. */
  expectedVersion?: number;
  idempotency?: { scope: string; key: string; requestHash: string };
  correlationId?: string;
}

/** The transport envelope for every incident command: validated input plus who and when. */
export class HandleIncidentCommand extends Command<IncidentView> {
  constructor(
    readonly command: IncidentCommand,
    readonly options: IncidentCommandOptions = {},
  ) {
    super();
  }
}

@CommandHandler(HandleIncidentCommand)
export class HandleIncidentCommandHandler implements ICommandHandler<HandleIncidentCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly readModel: IncidentReadModel,
  ) {}

  async execute({ command, options }: HandleIncidentCommand): Promise<IncidentView> {
    const { actor, source, now } = command.metadata;
    const result = await this.runner.handle(incidentDecider, command, {
      streamId: incidentStreamId(command.data.incidentId),
      metadata: { actor, source, ...(options.correlationId ? { correlationId: options.correlationId } : {}) },
      occurredAt: now,
      expectedVersion: options.expectedVersion,
      idempotency: options.idempotency,
    });
    if (result.state.status === 'none')
      throw new IncidentError('IncidentNotFound', `Incident ${command.data.incidentId} does not exist`);
    // A ticketing system that acknowledges and then lists sees its acknowledgement. The command
    // has committed whatever happens here; should the write fail, the list projection makes it.
    if (result.events.length > 0) {
      await this.readModel.keep(command.data.incidentId, result.version, result.state).catch(() => undefined);
    }
    return toIncidentView(result.state, result.version);
  }
}
