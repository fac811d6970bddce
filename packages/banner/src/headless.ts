/** Entry point of assent-headless.js: consent logic and the page API, no UI. */
import { start } from './start.ts';

start();
