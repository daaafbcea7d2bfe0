/** The three pure functions an event-sourced aggregate is made of. */
export interface Decider<State, Command, Event extends { type: string; data: unknown }> {
  readonly streamType: string;
  readonly initialState: State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

/** The client's precondition (If-Match) named a version the stream is no longer at. */
export class PreconditionFailedError extends Error {
  readonly code = 'PreconditionFailed';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`Stream ${streamId} is at version ${actualVersion}, not ${expectedVersion} as If-Match required`);
    this.name = 'PreconditionFailedError';
  }
}
