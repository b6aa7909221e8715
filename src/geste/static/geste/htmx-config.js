// htmx under the strict Content-Security-Policy: no inline <style> (its indicator rules are in
// geste.css), no eval, no <script> taken from swapped HTML. Loaded (defer) right after htmx and
// before htmx starts, which waits for DOMContentLoaded.
htmx.config.includeIndicatorStyles = false;
htmx.config.allowEval = false;
htmx.config.allowScriptTags = false;
