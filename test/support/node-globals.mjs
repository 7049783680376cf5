// Gives node:test the same global names mocha gives tests in Chromium.
import { describe, it, before, after } from 'node:test';
Object.assign(globalThis, { describe, it, before, after });
