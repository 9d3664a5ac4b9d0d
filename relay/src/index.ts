/**
 * The relay's entry point. The Workers runtime takes every export of this module as a handler, so it exports the
 * handler and nothing else; the parts tests call by name live in relay.ts.
 */
import { createRelay } from './relay.js';

export default createRelay();
