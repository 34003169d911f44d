/**
 * `url_state` (the Voila app's Playground page): the page's address carries the run, as the
 * original's does. The hash mirrors `share`; a hash that holds another state when the view
 * first appears (a shared link) is sent to Python to load.
 */
import { useEffect, useRef } from "react";

/** The state a hash holds: without its "#", percent-decoded when it was encoded. */
export function hashState(hash: string): string {
  const raw = hash.replace(/^#/, "");
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function useUrlState(enabled: boolean, share: string, loadShare: (text: string) => void): void {
  const checked = useRef(false);
  useEffect(() => {
    if (!enabled) return;
    const inHash = hashState(window.location.hash);
    if (!checked.current) {
      checked.current = true;
      // A link someone shared: load it, and leave the hash alone until Python's `share`
      // answers (a refused state stays in the address for the reader to see).
      if (inHash && inHash !== share) {
        loadShare(inHash);
        return;
      }
    }
    if (share && inHash !== share) {
      window.history.replaceState(window.history.state, "", `#${share}`);
    }
  }, [enabled, share, loadShare]);
}
