// A tab can be closed, discarded or frozen at any moment, and a mobile browser often kills a
// hidden one without `unload`: when the page is hidden (`visibilitychange` to 'hidden') or being
// left (`pagehide`, also fired when it enters the back/forward cache), lightningd's database writes
// what it holds in memory and not yet stored (records staged to ride the next write,
// LightningdDb.stage) to IndexedDB. Every state a message depended on is durable already (persist
// before send): this is the last chance for the rest. The browser does not wait for the write; a
// transaction begun in `pagehide` usually completes (and if the page is killed first, nothing more
// is lost than without it). `pagehide`, not `unload`/`beforeunload`: those keep a page out of the
// back/forward cache and are not fired on mobile.
export interface HideTarget {
  addEventListener(type: string, fn: () => void): void;
  removeEventListener(type: string, fn: () => void): void;
}

/**
 * Calls `flush` whenever the page is left (`pagehide` on `win`) or hidden (`visibilitychange` on
 * `doc` with its visibilityState 'hidden'). Returns a function that removes the listeners (the node stopped).
 */
export function flushOnHide(
  flush: () => Promise<void>,
  onError: (e: unknown) => void,
  win: HideTarget,
  doc: HideTarget & { readonly visibilityState: string },
): () => void {
  const run = (): void => void flush().catch(onError);
  const onVisibility = (): void => {
    if (doc.visibilityState === 'hidden') run();
  };
  win.addEventListener('pagehide', run);
  doc.addEventListener('visibilitychange', onVisibility);
  return () => {
    win.removeEventListener('pagehide', run);
    doc.removeEventListener('visibilitychange', onVisibility);
  };
}
