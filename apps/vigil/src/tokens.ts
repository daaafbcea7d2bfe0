export const RUNTIME = 'vigil:runtime';
