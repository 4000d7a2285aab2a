import { useEffect, useState } from 'preact/hooks';
import { Problem } from '../../../api.ts';
import { api, type Schemas } from '../../../api/client.ts';
import { problemText } from '../../../ui/problem.ts';

/** What a device's connection on the server last told: connected or not, its last reading and error. */
export type DeviceState = Schemas['DeviceState'];

/** How often the live state is read while the page is in view. */
const POLL_MS = 2000;

/**
 * The live state of the devices, by id, read every two seconds while the page is mounted and the
 * browser shows it (a hidden tab reads nothing); `failure` says why it cannot be read.
 */
export function useDeviceStates(): { states: Map<string, DeviceState>; failure: string | null } {
  const [states, setStates] = useState(new Map<string, DeviceState>());
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    /** Ended: the page is gone, or the server refused in a way asking again will not change. */
    let ended = false;
    let reading = false;
    const read = async () => {
      timer = undefined;
      if (ended || reading || document.visibilityState !== 'visible') return;
      reading = true;
      try {
        const { items } = await api.get('/api/devices/state');
        if (ended) return;
        setStates(new Map(items.map((s) => [s.id, s])));
        setFailure(null);
      } catch (error) {
        if (!ended) setFailure(problemText(error));
        // A refusal that asking again will not change ends the reading (a lost session or
        // connection, or a busy server, is asked again).
        if (
          error instanceof Problem &&
          error.status >= 400 &&
          error.status < 500 &&
          ![401, 408, 429].includes(error.status)
        )
          ended = true;
      } finally {
        reading = false;
      }
      if (!ended) timer = setTimeout(() => void read(), POLL_MS);
    };
    const visibility = () => {
      if (document.visibilityState === 'visible' && timer === undefined) void read();
    };
    document.addEventListener('visibilitychange', visibility);
    void read();
    return () => {
      ended = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', visibility);
    };
  }, []);
  return { states, failure };
}
