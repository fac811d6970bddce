/** Entry point of assent-banner.js: the headless runtime plus the banner UI. */
import { start } from './start.ts';
import { createUi } from './ui/banner-ui.ts';

start(createUi);
