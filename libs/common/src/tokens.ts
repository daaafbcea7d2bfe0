/** Injection token of the node-postgres pool that every adapter shares. */
export const PG_POOL = 'vigil:pg-pool';
